package io.dinostream.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.local.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing and opening a store from a location URI. */
final class ObjectStoresTest {

    @TempDir Path dir;

    @Test
    void fileUriOpensAFileStore() throws Exception {
        Path base = dir.resolve("out/ckpt");
        try (ObjectStore store = ObjectStores.open(base.toUri().toString(), null)) {
            assertInstanceOf(FileObjectStore.class, store);
            assertTrue(Files.isDirectory(base));
            store.put("a.txt", new byte[] {1}, "text/plain");
            assertTrue(Files.isRegularFile(base.resolve("a.txt")));
        }
        try (ObjectStore store = ObjectStores.open("file://" + base, null)) {
            assertEquals(base.toUri().toString().replaceAll("/$", ""), store.location());
        }
    }

    @Test
    void s3UriTakesBucketAndPrefixFromTheUriAndTheRestFromDefaults() throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir)) {
            S3Settings defaults = s3.settings("ignored-bucket", "ignored/prefix");
            try (ObjectStore store = ObjectStores.open("s3://models/a/b", defaults)) {
                assertInstanceOf(S3ObjectStore.class, store);
                assertEquals("s3://models/a/b", store.location());
                store.put("k.json", new byte[] {1}, "application/json");
            }
            assertTrue(Files.isRegularFile(s3.root().resolve("models/a/b/k.json")));
            try (ObjectStore store = ObjectStores.open("s3://models", defaults)) {
                assertEquals("s3://models", store.location());
                assertEquals(java.util.List.of("a/b/k.json"), store.list(""));
            }
        }
    }

    @Test
    void rejectsOtherFormsNamingTheAcceptedOnes() {
        for (String bad :
                new String[] {
                    "http://x", "s3://", "s3:///prefix", "s3://A_B/x",
                    "file:relative", "/abs/path", "", "gs://b"
                }) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> ObjectStores.open(bad, null), bad);
            assertTrue(e.getMessage().contains("file:///"), bad + " -> " + e.getMessage());
            assertTrue(e.getMessage().contains("s3://bucket"), bad + " -> " + e.getMessage());
        }
    }

    @Test
    void s3UriWithoutSettingsSaysWhatIsMissing() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ObjectStores.open("s3://bucket/x", null));
        assertTrue(e.getMessage().contains("--s3.endpoint"), e.getMessage());
    }
}
