package io.dinostream.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.local.EmbeddedS3;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@link ObjectStore} contract on S3 (an embedded S3Proxy), plus what is specific to S3. */
final class S3ObjectStoreTest extends ObjectStoreContract {

    private static final String BUCKET = "checkpoints";
    private static final AtomicInteger RUNS = new AtomicInteger();

    @TempDir static Path dir;
    private static EmbeddedS3 s3;

    @BeforeAll
    static void startS3() throws IOException {
        s3 = EmbeddedS3.start(dir);
    }

    @AfterAll
    static void stopS3() throws IOException {
        s3.close();
    }

    @Override
    ObjectStore openEmptyStore() throws Exception {
        return new S3ObjectStore(s3.settings(BUCKET, "runs/run-" + RUNS.incrementAndGet()), Map.of());
    }

    @Test
    void objectIsAPlainFileUnderTheServersRoot() throws Exception {
        try (S3ObjectStore store = new S3ObjectStore(s3.settings("visible", "a/b"), Map.of())) {
            byte[] data = "{\"step\":12}".getBytes(StandardCharsets.UTF_8);
            store.put("step-000000000012/manifest.json", data, "application/json");
            Path file = s3.root().resolve("visible/a/b/step-000000000012/manifest.json");
            assertTrue(Files.isRegularFile(file), file + " should exist");
            assertArrayEquals(data, Files.readAllBytes(file));
            assertEquals("s3://visible/a/b", store.location());
        }
    }

    @Test
    void storeWithoutPrefixUsesTheWholeBucket() throws Exception {
        try (S3ObjectStore store = new S3ObjectStore(s3.settings("whole", ""), Map.of())) {
            store.put("x/y.txt", new byte[] {7}, "text/plain");
            assertEquals(List.of("x/y.txt"), store.list(""));
            assertEquals("s3://whole", store.location());
            assertTrue(Files.isRegularFile(s3.root().resolve("whole/x/y.txt")));
        }
    }

    @Test
    void credentialsComeFromTheEnvironmentWhenSettingsAreBlank() throws Exception {
        S3Settings noKeys = new S3Settings(s3.endpoint(), "", "", "", BUCKET, "env", true);
        Map<String, String> env =
                Map.of(
                        S3ObjectStore.ENV_ACCESS_KEY, s3.accessKey(),
                        S3ObjectStore.ENV_SECRET_KEY, s3.secretKey());
        try (S3ObjectStore store = new S3ObjectStore(noKeys, env)) {
            store.put("k", new byte[] {1, 2, 3}, null);
            assertArrayEquals(new byte[] {1, 2, 3}, store.get("k").orElseThrow());
        }
    }

    @Test
    void missingCredentialsSayWhereToPutThem() {
        S3Settings noKeys = new S3Settings(s3.endpoint(), "", "", "", BUCKET, "", true);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new S3ObjectStore(noKeys, Map.of()));
        assertTrue(e.getMessage().contains("AWS_ACCESS_KEY_ID"), e.getMessage());
        assertTrue(e.getMessage().contains("AWS_SECRET_ACCESS_KEY"), e.getMessage());
    }

    @Test
    void wrongSecretFailsWithACredentialsMessage() {
        S3Settings wrong =
                new S3Settings(s3.endpoint(), "", s3.accessKey(), "not-the-secret", BUCKET, "", true);
        IOException e = assertThrows(IOException.class, () -> new S3ObjectStore(wrong, Map.of()));
        assertTrue(e.getMessage().contains("check --s3.access-key/--s3.secret-key"), e.getMessage());
        assertTrue(e.getMessage().contains(s3.endpoint()), e.getMessage());
        assertFalse(e.getMessage().contains("not-the-secret"), e.getMessage());
    }

    @Test
    void unknownAccessKeyFailsWithACredentialsMessage() {
        S3Settings wrong = new S3Settings(s3.endpoint(), "", "nobody", s3.secretKey(), BUCKET, "", true);
        IOException e = assertThrows(IOException.class, () -> new S3ObjectStore(wrong, Map.of()));
        assertTrue(e.getMessage().contains("check --s3.access-key/--s3.secret-key"), e.getMessage());
    }

    @Test
    void unreachableEndpointFailsFastNamingTheEndpoint() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closedPort = socket.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + closedPort;
        S3Settings settings = new S3Settings(endpoint, "", "a", "b", BUCKET, "", true);
        long started = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> new S3ObjectStore(settings, Map.of()));
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertTrue(ms < 5_000, "took " + ms + " ms");
        assertTrue(e.getMessage().contains("cannot reach object store at " + endpoint), e.getMessage());
        assertTrue(e.getMessage().contains("--s3.endpoint"), e.getMessage());
    }

    @Test
    void aServerThatAcceptsButNeverAnswersFailsWithinTheRequestTimeoutNamingEndpointAndOption() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            List<Socket> accepted = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // held open, never read from nor answered
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-s3");
            acceptor.setDaemon(true);
            acceptor.start();
            String endpoint = "http://127.0.0.1:" + silent.getLocalPort();
            S3Settings settings = new S3Settings(endpoint, "", "a", "b", BUCKET, "", true)
                    .withRequestTimeout(Duration.ofMillis(500));

            long started = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> new S3ObjectStore(settings, Map.of()));
            long ms = (System.nanoTime() - started) / 1_000_000;

            assertTrue(ms < 5_000, "took " + ms + " ms with a 500 ms request timeout");
            assertFalse(accepted.isEmpty(), "the request reached the server");
            assertTrue(e.getMessage().contains("object store at " + endpoint), e.getMessage());
            assertTrue(e.getMessage().contains("did not answer within 500 ms"), e.getMessage());
            assertTrue(e.getMessage().contains("--s3.request-timeout-ms"), e.getMessage());
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    @Test
    void requestsWaitThirtySecondsForAnAnswerUnlessTold() {
        assertEquals(30_000, new S3Settings("http://h:1", "", "a", "b", BUCKET, "", true).requestTimeoutMillis());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S3Settings("http://h:1", "", "a", "b", BUCKET, "", true).withRequestTimeout(Duration.ZERO));
        assertTrue(e.getMessage().contains("--s3.request-timeout-ms must be > 0"), e.getMessage());
    }

    @Test
    void aPooledConnectionTheServerDroppedIsReplacedNotReportedAsAFailure(@TempDir Path own) throws Exception {
        // Servers close keep-alive connections that sit idle (Jetty, under S3Proxy, after 30 s; the
        // publisher is idle ~60 s between checkpoints). A restart on the same port drops them all at
        // once, and the store's next GET must not be the one to find out.
        EmbeddedS3 first = EmbeddedS3.start(own);
        int port = URI.create(first.endpoint()).getPort();
        try (S3ObjectStore store = new S3ObjectStore(first.settings("idle", ""), Map.of())) {
            store.put("step/manifest.json", new byte[] {1, 2}, "application/json");
            assertArrayEquals(new byte[] {1, 2}, store.get("step/manifest.json").orElseThrow());
            first.close();
            try (EmbeddedS3 second = EmbeddedS3.start(own, port)) {
                assertArrayEquals(new byte[] {1, 2}, store.get("step/manifest.json").orElseThrow());
                assertEquals(Optional.empty(), store.get("step/other.json"));
            }
        }
    }

    @Test
    void malformedEndpointIsRejected() {
        S3Settings settings = new S3Settings("not a url", "", "a", "b", BUCKET, "", true);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new S3ObjectStore(settings, Map.of()));
        assertTrue(e.getMessage().contains("--s3.endpoint"), e.getMessage());
    }

    @Test
    void invalidBucketNameIsRejectedBeforeAnyRequest() {
        for (String bad : new String[] {"b", "Upper", "under_score", "a..b", "127.0.0.1", "-dash"}) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> new S3ObjectStore(s3.settings(bad, ""), Map.of()),
                            bad);
            assertTrue(e.getMessage().contains("bucket name '" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void settingsAndStoreNeverShowCredentials() throws Exception {
        S3Settings settings = s3.settings(BUCKET, "shown");
        assertFalse(settings.toString().contains(s3.secretKey()), settings.toString());
        assertFalse(settings.toString().contains(s3.accessKey()), settings.toString());
        try (S3ObjectStore store = new S3ObjectStore(settings, Map.of())) {
            assertFalse(store.toString().contains(s3.secretKey()), store.toString());
            assertFalse(store.location().contains(s3.accessKey()), store.location());
        }
    }

    @Test
    void settingsNormalise() {
        S3Settings s = new S3Settings(" http://h:1/ ", null, null, null, "b", "/p/q/", false);
        assertEquals("http://h:1", s.endpoint());
        assertEquals("us-east-1", s.region());
        assertEquals("", s.accessKey());
        assertEquals("p/q", s.prefix());
        assertEquals("s3://b/p/q", s.location());
        assertEquals("s3://c", s.withLocation("c", "").location());
    }
}
