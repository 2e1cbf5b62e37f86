package io.dinostream.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dinostream.config.OptionSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The publish.* and s3.* settings. */
final class PublishSettingsTest {

    private static final OptionSet OPTIONS = OptionSet.of("", PublishSettings.OPTIONS);

    @Test
    void s3OptionsReachTheStoresSettings() {
        PublishSettings publish = PublishSettings.from(OPTIONS.parse(Map.of("publish.uri", "s3://models/dino",
                "s3.endpoint", "http://minio:9000/", "s3.secret-key", "s3cr3t", "s3.request-timeout-ms", "5000")));

        assertEquals("s3://models/dino", publish.uri());
        assertEquals("http://minio:9000", publish.s3().endpoint());
        assertEquals("us-east-1", publish.s3().region());
        assertEquals("s3cr3t", publish.s3().secretKey());
        assertEquals(5000, publish.s3().requestTimeoutMillis());
        assertFalse(publish.toString().contains("s3cr3t"), publish.toString());
    }

    @Test
    void aUriThatIsNeitherS3NorAnAbsoluteFileIsRefusedWhenBuilt() {
        S3Settings s3 = new S3Settings("", "", "", "", "", "", true);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PublishSettings("/tmp/checkpoints", 100, 600, 8, s3));

        assertEquals("--publish.uri must be s3://bucket/prefix or file:///absolute/path, got '/tmp/checkpoints'",
                e.getMessage());
    }

    @Test
    void zeroRetriesAreRefusedWhenBuilt() {
        S3Settings s3 = new S3Settings("", "", "", "", "", "", true);

        assertEquals("--publish.retries must be > 0, got 0", assertThrows(IllegalArgumentException.class,
                () -> new PublishSettings("file:///tmp/c", 100, 600, 0, s3)).getMessage());
    }
}
