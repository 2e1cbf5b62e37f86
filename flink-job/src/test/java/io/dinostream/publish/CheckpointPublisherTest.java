package io.dinostream.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.dinostream.local.EmbeddedS3;
import io.dinostream.types.ModelSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a model snapshot becomes an immutable checkpoint folder plus latest.json in a store. */
final class CheckpointPublisherTest {

    private static final byte[] TEACHER = {1, 2, 3, 4, 5};
    private static final byte[] STUDENT = {9, 8, 7};
    private static final long CREATED_AT = 1_714_564_800_000L; // 2024-05-01T12:00:00Z

    @TempDir Path dir;
    private FileObjectStore store;

    @BeforeEach
    void openStore() throws IOException {
        store = new FileObjectStore(dir.resolve("checkpoints"));
    }

    private static ModelSnapshot snapshot(long step, byte[] teacher, byte[] student) {
        return new ModelSnapshot(step, step * 32, CREATED_AT, teacher, student,
                Map.of("loss", 7.25, "lr", 0.000625), Map.of("images/0", 383L, "images/1", 401L), false);
    }

    private static ModelSnapshot snapshot(long step) {
        return snapshot(step, TEACHER, STUDENT);
    }

    private static CheckpointPublisher publisher(ObjectStore store) {
        return new CheckpointPublisher(store, Map.of("train.batch-size", "32"), 3, 1);
    }

    private JsonObject json(String key) throws IOException {
        return JsonParser.parseString(new String(store.get(key).orElseThrow(), StandardCharsets.UTF_8))
                .getAsJsonObject();
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    // --- what a checkpoint holds -------------------------------------------------------------

    @Test
    void folderIsTheStepWithTwelveDigits() {
        assertEquals("step-000000000012/", CheckpointPublisher.folder(12));
        assertEquals("step-123456789012/", CheckpointPublisher.folder(123_456_789_012L));
    }

    @Test
    void publishWritesBothModelsAManifestAndLatest() throws Exception {
        assertTrue(publisher(store).publish(snapshot(12)));

        assertEquals(List.of(
                        "latest.json",
                        "step-000000000012/manifest.json",
                        "step-000000000012/student.safetensors",
                        "step-000000000012/teacher.safetensors"),
                store.list(""));
        assertArrayEquals(TEACHER, store.get("step-000000000012/teacher.safetensors").orElseThrow());
        assertArrayEquals(STUDENT, store.get("step-000000000012/student.safetensors").orElseThrow());
    }

    @Test
    void manifestRecordsTheSnapshot() throws Exception {
        ModelSnapshot snapshot = new ModelSnapshot(12, 384, CREATED_AT, TEACHER, STUDENT,
                Map.of("loss", 7.25), Map.of("images/0", 383L), true);

        publisher(store).publish(snapshot);
        JsonObject manifest = json("step-000000000012/manifest.json");

        assertEquals("dino-stream-checkpoint/1", manifest.get("format").getAsString());
        assertEquals(12, manifest.get("step").getAsLong());
        assertEquals("2024-05-01T12:00:00Z", manifest.get("created_at").getAsString());
        assertEquals(384, manifest.get("images_seen").getAsLong());
        assertTrue(manifest.get("final").getAsBoolean());
        assertEquals(CheckpointPublisher.codeVersion(), manifest.get("code_version").getAsString());
        assertEquals(7.25, manifest.getAsJsonObject("metrics").get("loss").getAsDouble());
        assertEquals(383, manifest.getAsJsonObject("kafka_offsets").get("images/0").getAsLong());
    }

    @Test
    void manifestOfANonFinalSnapshotSaysFinalFalse() throws Exception {
        publisher(store).publish(snapshot(12));

        assertFalse(json("step-000000000012/manifest.json").get("final").getAsBoolean());
    }

    @Test
    void codeVersionOutsideAJarIsDev() {
        assertEquals("dev", CheckpointPublisher.codeVersion());
    }

    @Test
    void manifestRecordsTheConfigWithSortedKeys() throws Exception {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("train.seed", "7");
        config.put("kafka.topics", "images");
        config.put("model.width", "16");
        CheckpointPublisher publisher = new CheckpointPublisher(store, config, 3, 1);

        publisher.publish(snapshot(12));
        JsonObject recorded = json("step-000000000012/manifest.json").getAsJsonObject("config");

        assertEquals(List.of("kafka.topics", "model.width", "train.seed"), List.copyOf(recorded.keySet()));
        assertEquals("7", recorded.get("train.seed").getAsString());
    }

    @Test
    void manifestRecordsSha256AndSizeOfEachFile() throws Exception {
        publisher(store).publish(snapshot(12));
        JsonObject files = json("step-000000000012/manifest.json").getAsJsonObject("files");

        JsonObject teacher = files.getAsJsonObject("teacher.safetensors");
        JsonObject student = files.getAsJsonObject("student.safetensors");
        assertEquals(sha256(TEACHER), teacher.get("sha256").getAsString());
        assertEquals(TEACHER.length, teacher.get("size").getAsLong());
        assertEquals(sha256(STUDENT), student.get("sha256").getAsString());
        assertEquals(STUDENT.length, student.get("size").getAsLong());
    }

    @Test
    void sha256IsLowercaseHex() throws Exception {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);

        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                CheckpointPublisher.sha256(abc));
    }

    // --- latest.json --------------------------------------------------------------------------

    @Test
    void latestNamesTheNewFolderAndItsManifest() throws Exception {
        publisher(store).publish(snapshot(12));
        JsonObject latest = json(Latest.FILE);

        assertEquals(12, latest.get("step").getAsLong());
        assertEquals("step-000000000012/", latest.get("folder").getAsString());
        assertEquals("step-000000000012/manifest.json", latest.get("manifest").getAsString());
        assertTrue(latest.has("published_at"));
    }

    @Test
    void latestMovesForwardToANewerStep() throws Exception {
        CheckpointPublisher publisher = publisher(store);

        publisher.publish(snapshot(10));
        publisher.publish(snapshot(20));

        assertEquals("step-000000000020/", json(Latest.FILE).get("folder").getAsString());
    }

    @Test
    void latestNeverMovesBackToAnOlderStep() throws Exception {
        CheckpointPublisher publisher = publisher(store);

        publisher.publish(snapshot(20));
        assertTrue(publisher.publish(snapshot(10)));

        assertEquals(20, json(Latest.FILE).get("step").getAsLong());
        assertEquals("step-000000000020/", json(Latest.FILE).get("folder").getAsString());
        assertTrue(store.get("step-000000000010/manifest.json").isPresent(), "the older checkpoint is still written");
    }

    // --- replays --------------------------------------------------------------------------------

    @Test
    void republishingAPublishedStepReturnsFalseAndLeavesItsFilesUntouched() throws Exception {
        CheckpointPublisher publisher = publisher(store);
        publisher.publish(snapshot(12));
        Map<String, byte[]> bytesBefore = new LinkedHashMap<>();
        Map<String, BasicFileAttributes> attributesBefore = new LinkedHashMap<>();
        for (String key : store.list("step-000000000012/")) {
            Path file = store.base().resolve(key);
            bytesBefore.put(key, Files.readAllBytes(file));
            attributesBefore.put(key, Files.readAttributes(file, BasicFileAttributes.class));
        }

        boolean published = publisher.publish(snapshot(12, new byte[] {42, 42}, new byte[] {43}));

        assertFalse(published);
        assertEquals(bytesBefore.keySet(), Set.copyOf(store.list("step-000000000012/")));
        for (String key : bytesBefore.keySet()) {
            Path file = store.base().resolve(key);
            BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
            assertArrayEquals(bytesBefore.get(key), Files.readAllBytes(file), key);
            assertEquals(attributesBefore.get(key).lastModifiedTime(), after.lastModifiedTime(), key);
            assertEquals(attributesBefore.get(key).fileKey(), after.fileKey(), key + " was replaced");
        }
    }

    @Test
    void republishingAStepWhoseLatestWasLostRestoresLatest() throws Exception {
        CheckpointPublisher publisher = publisher(store);
        publisher.publish(snapshot(12));
        Files.delete(store.base().resolve(Latest.FILE)); // crashed before writing latest.json

        assertFalse(publisher.publish(snapshot(12)));

        assertEquals("step-000000000012/", json(Latest.FILE).get("folder").getAsString());
    }

    @Test
    void anUnreadableLatestIsReplacedByAPointerToTheNewCheckpoint() throws Exception {
        Files.createDirectories(store.base());
        Files.writeString(store.base().resolve(Latest.FILE), "{\"step\": \"twelve\"");

        assertTrue(publisher(store).publish(snapshot(12)));

        assertEquals(12, json(Latest.FILE).get("step").getAsLong());
        assertEquals("step-000000000012/", json(Latest.FILE).get("folder").getAsString());
    }

    @Test
    void folderWithoutAManifestIsWrittenAgain() throws Exception {
        store.put("step-000000000012/teacher.safetensors", new byte[] {0}, "application/octet-stream");

        assertTrue(publisher(store).publish(snapshot(12)));

        assertArrayEquals(TEACHER, store.get("step-000000000012/teacher.safetensors").orElseThrow());
        assertTrue(store.get("step-000000000012/manifest.json").isPresent());
    }

    // --- order of writes ------------------------------------------------------------------------

    /** A real store that records the key of every put it passes on. */
    /** A real store seen through a wrapper that forwards everything; subclasses change put. */
    private abstract static class ForwardingStore implements ObjectStore {
        final ObjectStore inner;

        ForwardingStore(ObjectStore inner) {
            this.inner = inner;
        }

        @Override
        public Optional<byte[]> get(String key) throws IOException {
            return inner.get(key);
        }

        @Override
        public List<String> list(String prefix) throws IOException {
            return inner.list(prefix);
        }

        @Override
        public String location() {
            return inner.location();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }

    private static final class RecordingStore extends ForwardingStore {
        final List<String> puts = new ArrayList<>();

        RecordingStore(ObjectStore inner) {
            super(inner);
        }

        @Override
        public void put(String key, byte[] data, String contentType) throws IOException {
            inner.put(key, data, contentType);
            puts.add(key);
        }
    }

    @Test
    void manifestIsWrittenAfterTheModelsAndLatestLast() throws Exception {
        RecordingStore recording = new RecordingStore(store);

        publisher(recording).publish(snapshot(12));

        assertEquals(List.of(
                        "step-000000000012/teacher.safetensors",
                        "step-000000000012/student.safetensors",
                        "step-000000000012/manifest.json",
                        "latest.json"),
                recording.puts);
    }

    @Test
    void olderStepWritesNoLatest() throws Exception {
        publisher(store).publish(snapshot(20));
        RecordingStore recording = new RecordingStore(store);

        publisher(recording).publish(snapshot(10));

        assertFalse(recording.puts.contains(Latest.FILE), recording.puts.toString());
    }

    // --- retries ------------------------------------------------------------------------------

    /** A real store whose first {@code failures} puts throw, as a flaky network would. */
    private static final class FlakyStore extends ForwardingStore {
        final AtomicInteger failuresLeft;
        final AtomicInteger putCalls = new AtomicInteger();

        FlakyStore(ObjectStore inner, int failures) {
            super(inner);
            this.failuresLeft = new AtomicInteger(failures);
        }

        @Override
        public void put(String key, byte[] data, String contentType) throws IOException {
            putCalls.incrementAndGet();
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IOException("connection reset writing " + key);
            }
            inner.put(key, data, contentType);
        }
    }

    @Test
    void putsThatFailTwiceAreRetriedToACompleteCheckpoint() throws Exception {
        FlakyStore flaky = new FlakyStore(store, 2);

        assertTrue(new CheckpointPublisher(flaky, Map.of(), 3, 1).publish(snapshot(12)));

        assertArrayEquals(TEACHER, store.get("step-000000000012/teacher.safetensors").orElseThrow());
        assertArrayEquals(STUDENT, store.get("step-000000000012/student.safetensors").orElseThrow());
        JsonObject files = json("step-000000000012/manifest.json").getAsJsonObject("files");
        assertEquals(sha256(TEACHER), files.getAsJsonObject("teacher.safetensors").get("sha256").getAsString());
        assertEquals(12, json(Latest.FILE).get("step").getAsLong());
        assertEquals(6, flaky.putCalls.get(), "2 failed + 4 successful puts");
    }

    @Test
    void everyFailedAttemptThatIsTriedAgainIsCountedAsARetry() throws Exception {
        AtomicInteger retries = new AtomicInteger();

        new CheckpointPublisher(new FlakyStore(store, 2), Map.of(), 3, 1, retries::incrementAndGet).publish(snapshot(12));
        assertEquals(2, retries.get(), "two failed puts, each tried again");

        retries.set(0);
        assertThrows(IOException.class, () -> new CheckpointPublisher(new FlakyStore(store, Integer.MAX_VALUE),
                Map.of(), 4, 1, retries::incrementAndGet).publish(snapshot(13)));
        assertEquals(3, retries.get(), "4 attempts: the last failure is not retried");
    }

    @Test
    void storeThatKeepsFailingIsTriedTheGivenNumberOfTimes() throws Exception {
        FlakyStore broken = new FlakyStore(store, Integer.MAX_VALUE);

        IOException e = assertThrows(IOException.class,
                () -> new CheckpointPublisher(broken, Map.of(), 4, 1).publish(snapshot(12)));

        assertEquals(4, broken.putCalls.get());
        assertTrue(e.getMessage().contains("could not write step-000000000012/teacher.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("after 4 attempts"), e.getMessage());
        assertTrue(e.getMessage().contains("connection reset"), e.getMessage());
        assertEquals(List.of(), store.list(""));
    }

    @Test
    void unreachableS3FailsAfterTheAttemptsNamingTheLocation() throws Exception {
        S3ObjectStore s3Store;
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir)) {
            s3Store = new S3ObjectStore(s3.settings("checkpoints", "run-1"), Map.of());
        }
        // The server is stopped: its port is closed now.
        try (s3Store) {
            CheckpointPublisher publisher = new CheckpointPublisher(s3Store, Map.of(), 3, 10);

            IOException e = assertThrows(IOException.class, () -> publisher.publish(snapshot(12)));

            assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
            assertTrue(e.getMessage().contains("s3://checkpoints/run-1"), e.getMessage());
        }
    }
}
