package io.dinostream.publish;

/**
 * How to reach an S3-compatible object store (AWS S3, MinIO, Ceph, the embedded S3Proxy) and where
 * in it checkpoints go. Immutable. Blank credentials mean "take them from the environment"
 * ({@code AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY}). {@link #toString()} never shows
 * the credentials, so settings can be logged.
 *
 * @param endpoint base URL of the service, e.g. {@code http://127.0.0.1:9000}
 * @param region signing region (V4); blank means {@value #DEFAULT_REGION}
 * @param accessKey access key id, or blank for the environment
 * @param secretKey secret key, or blank for the environment
 * @param bucket bucket name
 * @param prefix key prefix inside the bucket, without leading or trailing '/' ("" for none)
 * @param pathStyle address buckets as {@code endpoint/bucket/key} rather than {@code
 *     bucket.endpoint/key}; S3-compatible servers on an IP or localhost need it
 * @param requestTimeoutMillis how long a request may wait for the server without progress (an
 *     answer, or room to send more) before it fails; {@value #DEFAULT_REQUEST_TIMEOUT_MILLIS} ms
 *     unless set. Option {@value #REQUEST_TIMEOUT_OPTION}.
 */
public record S3Settings(
        String endpoint,
        String region,
        String accessKey,
        String secretKey,
        String bucket,
        String prefix,
        boolean pathStyle,
        long requestTimeoutMillis) implements java.io.Serializable {

    /** The region used when none is given. */
    public static final String DEFAULT_REGION = "us-east-1";

    /** The request timeout used when none is given. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MILLIS = 30_000;

    /** The command-line option that sets the request timeout, for messages. */
    public static final String REQUEST_TIMEOUT_OPTION = "--s3.request-timeout-ms";

    /** Settings with the default request timeout. */
    public S3Settings(String endpoint, String region, String accessKey, String secretKey, String bucket,
            String prefix, boolean pathStyle) {
        this(endpoint, region, accessKey, secretKey, bucket, prefix, pathStyle, DEFAULT_REQUEST_TIMEOUT_MILLIS);
    }

    /** Normalises: trims, fills the default region, turns nulls into "", strips '/' off prefix. */
    public S3Settings {
        endpoint = trim(endpoint);
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        region = trim(region).isEmpty() ? DEFAULT_REGION : region.trim();
        accessKey = trim(accessKey);
        secretKey = trim(secretKey);
        bucket = trim(bucket);
        prefix = trimSlashes(trim(prefix));
        if (requestTimeoutMillis <= 0) {
            throw new IllegalArgumentException(REQUEST_TIMEOUT_OPTION + " must be > 0 milliseconds, got "
                    + requestTimeoutMillis);
        }
    }

    /** The same endpoint, region, credentials and addressing, for another bucket and prefix. */
    public S3Settings withLocation(String bucket, String prefix) {
        return new S3Settings(endpoint, region, accessKey, secretKey, bucket, prefix, pathStyle, requestTimeoutMillis);
    }

    /** The same settings with another request timeout. */
    public S3Settings withRequestTimeout(java.time.Duration timeout) {
        return new S3Settings(endpoint, region, accessKey, secretKey, bucket, prefix, pathStyle, timeout.toMillis());
    }

    /** Where these settings point, as {@code s3://bucket[/prefix]}; never with credentials. */
    public String location() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    @Override
    public String toString() {
        return "S3Settings[endpoint="
                + endpoint
                + ", region="
                + region
                + ", location="
                + location()
                + ", pathStyle="
                + pathStyle
                + ", requestTimeoutMillis="
                + requestTimeoutMillis
                + ", credentials="
                + (accessKey.isEmpty() && secretKey.isEmpty() ? "from environment" : "given (hidden)")
                + "]";
    }

    private static String trim(String s) {
        return s == null ? "" : s.trim();
    }

    private static String trimSlashes(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) == '/') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == '/') {
            to--;
        }
        return s.substring(from, to);
    }
}
