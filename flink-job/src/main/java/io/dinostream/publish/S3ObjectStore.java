package io.dinostream.publish;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ObjectStore} in an S3-compatible bucket (AWS S3, MinIO, Ceph, the embedded S3Proxy),
 * through the MinIO Java client with V4 signing in an explicit region. Keys live under the
 * settings' prefix. The bucket is created on open if missing. Every object is written with one
 * PUT, so readers see the old or the new object, never a part. Thread-safe.
 *
 * <p>Credentials come from the settings or, when those are blank, from {@code AWS_ACCESS_KEY_ID}
 * / {@code AWS_SECRET_ACCESS_KEY}; they are never logged nor shown by {@link #location()} or
 * {@link #toString()}.
 */
public final class S3ObjectStore implements ObjectStore {

    /** Environment variable read when the settings carry no access key. */
    public static final String ENV_ACCESS_KEY = "AWS_ACCESS_KEY_ID";

    /** Environment variable read when the settings carry no secret key. */
    public static final String ENV_SECRET_KEY = "AWS_SECRET_ACCESS_KEY";

    private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    private static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
    private static final Set<String> CREDENTIAL_ERRORS =
            Set.of(
                    "InvalidAccessKeyId",
                    "SignatureDoesNotMatch",
                    "AccessDenied",
                    "InvalidToken",
                    "ExpiredToken",
                    "AuthorizationHeaderMalformed");

    /** What a bucket name may look like, for error messages. */
    static final String BUCKET_RULES =
            "3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit";

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP_ADDRESS = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");

    private final S3Settings settings;
    private final String keyBase;
    private final OkHttpClient http;
    private final MinioClient client;

    /** Opens the store, with credentials from the settings or else from the process environment. */
    public S3ObjectStore(S3Settings settings) throws IOException {
        this(settings, System.getenv());
    }

    /**
     * Opens the store, with credentials from the settings or else from env (for tests: a map
     * standing in for the process environment). Creates the bucket if it does not exist.
     *
     * @throws IllegalArgumentException if endpoint, bucket or credentials are missing or malformed
     * @throws IOException if the store cannot be reached or refuses the credentials
     */
    public S3ObjectStore(S3Settings settings, Map<String, String> env) throws IOException {
        this.settings = settings;
        if (settings.endpoint().isEmpty()) {
            throw new IllegalArgumentException(
                    "no S3 endpoint given: pass --s3.endpoint, e.g. http://127.0.0.1:9000");
        }
        if (settings.bucket().isEmpty()) {
            throw new IllegalArgumentException(
                    "no S3 bucket given: use a location like s3://bucket/prefix");
        }
        if (!isValidBucket(settings.bucket())) {
            throw new IllegalArgumentException(
                    "bucket name '" + settings.bucket() + "' is not valid for S3: " + BUCKET_RULES);
        }
        if (!settings.prefix().isEmpty()) {
            ObjectKeys.checkPrefix(settings.prefix());
        }
        this.keyBase = settings.prefix().isEmpty() ? "" : settings.prefix() + "/";
        String accessKey = firstNonBlank(settings.accessKey(), env.get(ENV_ACCESS_KEY));
        String secretKey = firstNonBlank(settings.secretKey(), env.get(ENV_SECRET_KEY));
        if (accessKey.isEmpty() || secretKey.isEmpty()) {
            throw new IllegalArgumentException(
                    "no S3 credentials for "
                            + settings.endpoint()
                            + ": pass --s3.access-key and --s3.secret-key or set "
                            + ENV_ACCESS_KEY
                            + " and "
                            + ENV_SECRET_KEY);
        }
        // A server that accepts connections but never answers holds a request for this long, and
        // the publisher for its attempts times it: so it is an option, not a constant. It bounds
        // each wait for progress, not the whole transfer, so large uploads on slow links still work.
        Duration requestTimeout = Duration.ofMillis(settings.requestTimeoutMillis());
        this.http =
                new OkHttpClient.Builder()
                        .connectTimeout(requestTimeout.compareTo(CONNECT_TIMEOUT) < 0 ? requestTimeout : CONNECT_TIMEOUT)
                        .readTimeout(requestTimeout)
                        .writeTimeout(requestTimeout)
                        // Servers close keep-alive connections that sit idle (Jetty after 30 s,
                        // the publisher waits ~60 s between checkpoints), and OkHttp reuses a pooled
                        // connection for a GET without checking it first: with this on it retries
                        // such a request once on a fresh connection instead of failing it. It does
                        // not retry a connection that cannot be made (one route: fails as before).
                        .retryOnConnectionFailure(true)
                        .protocols(List.of(Protocol.HTTP_1_1))
                        .build();
        MinioClient built;
        try {
            built =
                    MinioClient.builder()
                            .endpoint(settings.endpoint())
                            .region(settings.region())
                            .credentials(accessKey, secretKey)
                            .httpClient(http)
                            .build();
        } catch (IllegalArgumentException e) {
            shutdown(http);
            throw new IllegalArgumentException(
                    "invalid S3 endpoint '"
                            + settings.endpoint()
                            + "' ("
                            + e.getMessage()
                            + "): expected a URL like http://127.0.0.1:9000; check --s3.endpoint",
                    e);
        }
        if (settings.pathStyle()) {
            built.disableVirtualStyleEndpoint();
        } else {
            built.enableVirtualStyleEndpoint();
        }
        this.client = built;
        try {
            ensureBucket();
        } catch (IOException | RuntimeException e) {
            try {
                close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        LOG.info("Object store {} at {} (region {})", location(), settings.endpoint(), settings.region());
    }

    @Override
    public void put(String key, byte[] data, String contentType) throws IOException {
        String object = keyBase + ObjectKeys.checkKey(key);
        String type = contentType == null || contentType.isBlank() ? DEFAULT_CONTENT_TYPE : contentType;
        try {
            client.putObject(
                    PutObjectArgs.builder()
                            .bucket(settings.bucket())
                            .object(object)
                            // One part as large as the object: a single, atomic PUT.
                            .stream(
                                    new ByteArrayInputStream(data),
                                    data.length,
                                    Math.max(MIN_PART_SIZE, data.length))
                            .contentType(type)
                            .build());
        } catch (Exception e) {
            throw failure("writing " + object, e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        String object = keyBase + ObjectKeys.checkKey(key);
        try (GetObjectResponse in =
                client.getObject(GetObjectArgs.builder().bucket(settings.bucket()).object(object).build())) {
            return Optional.of(in.readAllBytes());
        } catch (ErrorResponseException e) {
            if ("NoSuchKey".equals(e.errorResponse().code())) {
                return Optional.empty();
            }
            throw failure("reading " + object, e);
        } catch (Exception e) {
            throw failure("reading " + object, e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        String full = keyBase + ObjectKeys.checkPrefix(prefix);
        List<String> keys = new ArrayList<>();
        try {
            Iterable<Result<Item>> results =
                    client.listObjects(
                            ListObjectsArgs.builder()
                                    .bucket(settings.bucket())
                                    .prefix(full)
                                    .recursive(true)
                                    .build());
            for (Result<Item> result : results) {
                Item item = result.get();
                String name = item.objectName();
                if (!item.isDir() && !name.endsWith("/") && name.startsWith(full)) {
                    keys.add(name.substring(keyBase.length()));
                }
            }
        } catch (Exception e) {
            throw failure("listing " + full + "*", e);
        }
        Collections.sort(keys);
        return keys;
    }

    @Override
    public String location() {
        return settings.location();
    }

    @Override
    public void close() throws IOException {
        try {
            if (client != null) {
                client.close();
            }
        } catch (Exception e) {
            throw new IOException("cannot close the S3 client for " + location() + " (" + e + ")", e);
        } finally {
            shutdown(http);
        }
    }

    @Override
    public String toString() {
        return "S3ObjectStore[" + location() + " at " + settings.endpoint() + "]";
    }

    private void ensureBucket() throws IOException {
        String bucket = settings.bucket();
        try {
            if (client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                return;
            }
            client.makeBucket(MakeBucketArgs.builder().bucket(bucket).region(settings.region()).build());
            LOG.info("Created bucket {} at {}", bucket, settings.endpoint());
        } catch (ErrorResponseException e) {
            String code = e.errorResponse().code();
            if ("BucketAlreadyOwnedByYou".equals(code) || "BucketAlreadyExists".equals(code)) {
                return; // created concurrently by another writer
            }
            throw failure("opening bucket " + bucket, e);
        } catch (Exception e) {
            throw failure("opening bucket " + bucket, e);
        }
    }

    /** Turns any client failure into an IOException that says what was wrong and what to do. */
    private IOException failure(String action, Exception e) {
        String endpoint = settings.endpoint();
        if (e instanceof ErrorResponseException ere) {
            String code = ere.errorResponse().code();
            String message = ere.errorResponse().message();
            if (CREDENTIAL_ERRORS.contains(code)) {
                boolean denied = "AccessDenied".equals(code);
                return new IOException(
                        "object store at "
                                + endpoint
                                + (denied ? " denied access" : " refused the credentials")
                                + " while "
                                + action
                                + " ("
                                + code
                                + ": "
                                + message
                                + "): check --s3.access-key/--s3.secret-key or "
                                + ENV_ACCESS_KEY
                                + "/"
                                + ENV_SECRET_KEY
                                + (denied ? ", and that they may use bucket " + settings.bucket() : ""),
                        e);
            }
            if ("NoSuchBucket".equals(code)) {
                return new IOException(
                        "bucket " + settings.bucket() + " does not exist at " + endpoint + " while " + action
                                + ": was it deleted? reopen the store to create it",
                        e);
            }
            return new IOException(
                    "object store at " + endpoint + " answered " + code + " (" + message + ") while "
                            + action,
                    e);
        }
        Throwable timeout = findReadTimeout(e);
        if (timeout != null) {
            return new IOException(
                    "object store at "
                            + endpoint
                            + " accepted the connection but did not answer within "
                            + settings.requestTimeoutMillis()
                            + " ms while "
                            + action
                            + ": is it overloaded, or not an S3 server? check --s3.endpoint, or raise "
                            + S3Settings.REQUEST_TIMEOUT_OPTION,
                    e);
        }
        Throwable unreachable = findUnreachable(e);
        if (unreachable != null) {
            return new IOException(
                    "cannot reach object store at "
                            + endpoint
                            + " ("
                            + describe(unreachable)
                            + ") while "
                            + action
                            + ": is it running? check --s3.endpoint",
                    e);
        }
        if (e instanceof InvalidResponseException) {
            return new IOException(
                    "object store at " + endpoint + " gave a response that is not S3 while " + action
                            + " (" + e.getMessage() + "): is --s3.endpoint an S3 endpoint?",
                    e);
        }
        if (e instanceof IllegalArgumentException iae) {
            return new IOException("invalid request while " + action + ": " + iae.getMessage(), e);
        }
        return new IOException(
                "object store at " + endpoint + " failed while " + action + " (" + describe(e) + ")", e);
    }

    /** Whether name is a valid S3 bucket name (the rules every S3-compatible store accepts). */
    static boolean isValidBucket(String name) {
        return BUCKET.matcher(name).matches() && !name.contains("..") && !IP_ADDRESS.matcher(name).matches();
    }

    /** A read or write that timed out on an open connection (a connect timeout is "unreachable"). */
    private static Throwable findReadTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException
                    && !String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("connect")) {
                return t;
            }
        }
        return null;
    }

    private static Throwable findUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException
                    || t instanceof NoRouteToHostException
                    || t instanceof UnknownHostException
                    || t instanceof SocketTimeoutException
                    || (t instanceof InterruptedIOException && "timeout".equals(t.getMessage()))) {
                return t;
            }
        }
        return null;
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }

    private static String firstNonBlank(String preferred, String fallback) {
        if (preferred != null && !preferred.isBlank()) {
            return preferred.trim();
        }
        return fallback == null ? "" : fallback.trim();
    }

    private static void shutdown(OkHttpClient http) {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
