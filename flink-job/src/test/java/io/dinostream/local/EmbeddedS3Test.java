package io.dinostream.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.publish.S3ObjectStore;
import io.dinostream.publish.S3Settings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded S3 server: addressing, settings and lifecycle. */
final class EmbeddedS3Test {

    @TempDir Path dir;

    @Test
    void servesOnAFixedPortWithDemoSettingsAndStopsCleanly() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir, port)) {
            assertEquals("http://127.0.0.1:" + port, s3.endpoint());
            assertEquals(dir.resolve("s3").toAbsolutePath(), s3.root());
            S3Settings settings = s3.settings("demo", "p");
            assertEquals("us-east-1", settings.region());
            assertEquals("dinostream", s3.accessKey());
            assertEquals("dinostream-secret", s3.secretKey());
            try (S3ObjectStore store = new S3ObjectStore(settings, Map.of())) {
                store.put("x", new byte[] {42}, null);
            }
            assertTrue(Files.isRegularFile(s3.root().resolve("demo/p/x")));
        }
        // Stopped: the port is free again, and a second server can take it.
        try (EmbeddedS3 again = EmbeddedS3.start(dir, port)) {
            try (S3ObjectStore store = new S3ObjectStore(again.settings("demo", "p"), Map.of())) {
                assertEquals(java.util.List.of("x"), store.list(""), "objects survive a restart");
            }
        }
    }

    @Test
    void aTakenPortFailsClearly() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            IOException e =
                    assertThrows(IOException.class, () -> EmbeddedS3.start(dir, taken.getLocalPort()));
            assertTrue(e.getMessage().contains("port"), e.getMessage());
        }
    }
}
