package io.dinostream.publish;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Opens an {@link ObjectStore} from a location URI, so one command-line flag chooses between a
 * local folder ({@code file:///abs/path}) and an S3 bucket ({@code s3://bucket/optional/prefix}).
 */
public final class ObjectStores {

    private static final String ACCEPTED =
            "expected file:///absolute/path or s3://bucket[/prefix]";

    private ObjectStores() {}

    /**
     * Opens the store at uri: {@code file:///abs/path} gives a {@link FileObjectStore}; {@code
     * s3://bucket[/prefix]} gives an {@link S3ObjectStore} whose bucket and prefix come from the
     * URI and whose endpoint, region, credentials and addressing come from s3Defaults.
     *
     * @throws IllegalArgumentException if uri is not one of the accepted forms
     */
    public static ObjectStore open(String uri, S3Settings s3Defaults) throws IOException {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("no checkpoint location given: " + ACCEPTED);
        }
        String trimmed = uri.trim();
        if (trimmed.startsWith("file:")) {
            return new FileObjectStore(filePath(trimmed));
        }
        if (trimmed.startsWith("s3://")) {
            String rest = trimmed.substring("s3://".length());
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            String prefix = slash < 0 ? "" : rest.substring(slash + 1);
            if (!S3ObjectStore.isValidBucket(bucket)) {
                throw new IllegalArgumentException(
                        "'" + uri + "' has no valid bucket name (" + S3ObjectStore.BUCKET_RULES + "): "
                                + ACCEPTED);
            }
            if (s3Defaults == null) {
                throw new IllegalArgumentException(
                        "'" + uri + "' needs S3 endpoint settings (--s3.endpoint and credentials)");
            }
            return new S3ObjectStore(s3Defaults.withLocation(bucket, prefix));
        }
        throw new IllegalArgumentException("unsupported checkpoint location '" + uri + "': " + ACCEPTED);
    }

    private static Path filePath(String uri) {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "'" + uri + "' is not a valid URI (" + e.getMessage() + "): " + ACCEPTED, e);
        }
        String authority = parsed.getAuthority();
        if (parsed.isOpaque()
                || parsed.getPath() == null
                || !parsed.getPath().startsWith("/")
                || parsed.getPath().equals("/")
                || (authority != null && !authority.equals("localhost"))) {
            throw new IllegalArgumentException(
                    "'" + uri + "' is not an absolute file location: " + ACCEPTED);
        }
        return Path.of(parsed.getPath());
    }
}
