package io.dinostream.publish;

import io.dinostream.config.Option;
import io.dinostream.config.OptionValues;
import java.util.List;
import java.util.Objects;

/**
 * Where and how often the job publishes checkpoints ({@code publish.*}), and how it reaches an S3
 * store ({@code s3.*}; the commands that read checkpoints share these options). Immutable and
 * checked when built; {@link #toString()} never shows the S3 credentials.
 *
 * @param uri s3://bucket/prefix or file:///absolute/path
 * @param everySteps publish every N steps (0: off)
 * @param everySeconds and/or every T seconds (0: off)
 * @param retries upload attempts per file before the publisher fails
 * @param s3 endpoint, region, credentials and request timeout (bucket and prefix come from the uri)
 */
public record PublishSettings(String uri, long everySteps, long everySeconds, int retries, S3Settings s3) {

    public static final Option<String> URI = Option.text("publish.uri", "file:///tmp/dino-stream/checkpoints",
            "where checkpoints go: s3://bucket/prefix or file:///path")
            .mustBe(uri -> uri.startsWith("s3://") || uri.startsWith("file:///"),
                    "s3://bucket/prefix or file:///absolute/path");
    public static final Option<Long> EVERY_STEPS = Option.wholeNumber("publish.every-steps", "100",
            "publish a checkpoint every N steps (0: off)").nonNegative();
    public static final Option<Long> EVERY_SECONDS = Option.wholeNumber("publish.every-seconds", "600",
            "and/or every T seconds (0: off)").nonNegative();
    public static final Option<Integer> RETRIES = Option.integer("publish.retries", "8",
            "upload attempts per file before the publisher fails (backoff doubles from 1 s)").positive();

    public static final Option<String> S3_ENDPOINT = Option.text("s3.endpoint", "",
            "S3 API endpoint, e.g. http://minio:9000 (empty: AWS)");
    public static final Option<String> S3_REGION = Option.text("s3.region", S3Settings.DEFAULT_REGION, "S3 region");
    public static final Option<String> S3_ACCESS_KEY = Option.text("s3.access-key", "",
            "S3 access key (default: env AWS_ACCESS_KEY_ID)").secret();
    public static final Option<String> S3_SECRET_KEY = Option.text("s3.secret-key", "",
            "S3 secret key (default: env AWS_SECRET_ACCESS_KEY)").secret();
    public static final Option<Long> S3_REQUEST_TIMEOUT_MS = Option.wholeNumber("s3.request-timeout-ms",
            Long.toString(S3Settings.DEFAULT_REQUEST_TIMEOUT_MILLIS), "how long an S3 request waits for the server to"
                    + " answer (or take more bytes) before that attempt fails and is retried").positive();

    /** How to reach an S3 store, for every command that reads or writes one. */
    public static final List<Option<?>> S3_OPTIONS =
            List.of(S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REQUEST_TIMEOUT_MS);

    /** The publish.* and s3.* options, in help order. */
    public static final List<Option<?>> OPTIONS = List.of(URI, EVERY_STEPS, EVERY_SECONDS, RETRIES, S3_ENDPOINT,
            S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REQUEST_TIMEOUT_MS);

    public PublishSettings {
        uri = URI.require(uri.trim());
        EVERY_STEPS.require(everySteps);
        EVERY_SECONDS.require(everySeconds);
        RETRIES.require(retries);
        Objects.requireNonNull(s3, "s3");
    }

    /** The publish.* and s3.* options' values. */
    public static PublishSettings from(OptionValues values) {
        return new PublishSettings(values.get(URI), values.get(EVERY_STEPS), values.get(EVERY_SECONDS),
                values.get(RETRIES), s3(values));
    }

    /** The s3.* options' values, for a store whose bucket and prefix the caller names. */
    public static S3Settings s3(OptionValues values) {
        return new S3Settings(values.get(S3_ENDPOINT), values.get(S3_REGION), values.get(S3_ACCESS_KEY),
                values.get(S3_SECRET_KEY), "", "", true, values.get(S3_REQUEST_TIMEOUT_MS));
    }
}
