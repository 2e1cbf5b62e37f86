package io.dinostream.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.dinostream.types.ModelSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** manifest.json: the keys users' scripts read, and every manifest published so far still read. */
final class ManifestTest {

    private static final byte[] TEACHER = {1, 2, 3, 4, 5};
    private static final byte[] STUDENT = {9, 8, 7};
    private static final long CREATED_AT = 1_714_564_800_000L; // 2024-05-01T12:00:00Z

    private static Manifest manifest(Map<String, Double> evaluation) {
        ModelSnapshot snapshot = new ModelSnapshot(12, 384, CREATED_AT, TEACHER, STUDENT,
                Map.of("non_finite_steps", 1.0, "images_skipped", 32.0), Map.of("images/1", 401L, "images/0", 383L),
                true, evaluation);
        return Manifest.of(snapshot, Map.of("train.seed", "7", "model.width", "16"),
                Map.of("teacher.safetensors", Manifest.FileEntry.of(TEACHER)));
    }

    private static JsonObject json(Manifest manifest) {
        return JsonParser.parseString(new String(manifest.toJson(), StandardCharsets.UTF_8)).getAsJsonObject();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theKeysAreTheOnesPublishedSinceTheFirstRelease() {
        assertEquals(List.of("format", "step", "created_at", "images_seen", "final", "code_version", "config",
                        "metrics", "kafka_offsets", "files"),
                List.copyOf(json(manifest(Map.of())).keySet()));
    }

    @Test
    void theFormatNamesTheVersion() {
        assertEquals("dino-stream-checkpoint/1", json(manifest(Map.of())).get("format").getAsString());
    }

    @Test
    void anEvaluationIsWrittenBeforeTheOffsetsOnlyWhenThereIsOne() {
        JsonObject written = json(manifest(Map.of("probe_knn_top1", 83.5)));

        assertEquals(List.of("format", "step", "created_at", "images_seen", "final", "code_version", "config",
                        "metrics", "evaluation", "kafka_offsets", "files"),
                List.copyOf(written.keySet()));
        assertEquals(83.5, written.getAsJsonObject("evaluation").get("probe_knn_top1").getAsDouble());
    }

    @Test
    void valuesAreWrittenAsTheyWereBefore() {
        JsonObject written = json(manifest(Map.of()));

        assertEquals(12, written.get("step").getAsLong());
        assertEquals("2024-05-01T12:00:00Z", written.get("created_at").getAsString());
        assertEquals(384, written.get("images_seen").getAsLong());
        assertTrue(written.get("final").getAsBoolean());
        assertEquals(CheckpointPublisher.codeVersion(), written.get("code_version").getAsString());
        assertEquals("7", written.getAsJsonObject("config").get("train.seed").getAsString());
        assertEquals(32.0, written.getAsJsonObject("metrics").get("images_skipped").getAsDouble());
        assertEquals(383, written.getAsJsonObject("kafka_offsets").get("images/0").getAsLong());
        JsonObject teacher = written.getAsJsonObject("files").getAsJsonObject("teacher.safetensors");
        assertEquals(CheckpointPublisher.sha256(TEACHER), teacher.get("sha256").getAsString());
        assertEquals(TEACHER.length, teacher.get("size").getAsLong());
    }

    @Test
    void mapsAreWrittenWithSortedKeysSoTwoRunsWriteTheSameBytes() {
        JsonObject written = json(manifest(Map.of()));

        assertEquals(List.of("model.width", "train.seed"), List.copyOf(written.getAsJsonObject("config").keySet()));
        assertEquals(List.of("images_skipped", "non_finite_steps"),
                List.copyOf(written.getAsJsonObject("metrics").keySet()));
        assertEquals(List.of("images/0", "images/1"), List.copyOf(written.getAsJsonObject("kafka_offsets").keySet()));
    }

    @Test
    void whatIsWrittenParsesBackEqual() throws Exception {
        Manifest manifest = manifest(Map.of("probe_knn_top1", 83.5, "probe_size", 1000.0));

        assertEquals(manifest, Manifest.parse(manifest.toJson(), "manifest.json"));
    }

    @Test
    void aManifestWithoutAFormatIsReadAsVersionOne() throws Exception {
        Manifest read = Manifest.parse(utf8("""
                {"step": 4, "created_at": "2024-05-01T12:00:00Z", "images_seen": 128, "final": false,
                 "code_version": "0.9", "config": {"model.width": "16"}, "metrics": {"images_skipped": 0.0},
                 "kafka_offsets": {"images/0": 127},
                 "files": {"teacher.safetensors": {"sha256": "AB12", "size": 5}}}"""), "old/manifest.json");

        assertEquals(4, read.step());
        assertEquals(Instant.parse("2024-05-01T12:00:00Z"), read.createdAt());
        assertEquals(128, read.imagesSeen());
        assertFalse(read.isFinal());
        assertEquals("0.9", read.codeVersion());
        assertEquals(Map.of("model.width", "16"), read.config());
        assertEquals(Map.of("images/0", 127L), read.kafkaOffsets());
        assertEquals(Map.of(), read.evaluation());
        assertEquals(new Manifest.FileEntry("ab12", 5), read.files().get("teacher.safetensors"));
    }

    @Test
    void aNewerFormatIsRefusedSayingWhichBuildReadsIt() {
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> Manifest.parse(utf8("""
                {"format": "dino-stream-checkpoint/2", "step": 4, "created_at": "2024-05-01T12:00:00Z",
                 "images_seen": 128, "files": {}}"""), "s3://b/ckpt/step-000000000004/manifest.json"));

        assertTrue(e.getMessage().contains("s3://b/ckpt/step-000000000004/manifest.json"), e.getMessage());
        assertTrue(e.getMessage().contains("dino-stream-checkpoint/2"), e.getMessage());
        assertTrue(e.getMessage().contains("newer DINO Stream"), e.getMessage());
        assertTrue(e.getMessage().contains("reads dino-stream-checkpoint/1"), e.getMessage());
    }

    @Test
    void anotherKindOfFileIsRefused() {
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                () -> Manifest.parse(utf8("{\"format\": \"pt\", \"step\": 1}"), "manifest.json"));

        assertTrue(e.getMessage().contains("not a DINO Stream checkpoint manifest"), e.getMessage());
    }

    @Test
    void aManifestWithoutItsFilesIsRefused() {
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> Manifest.parse(utf8("""
                {"format": "dino-stream-checkpoint/1", "step": 4, "created_at": "2024-05-01T12:00:00Z",
                 "images_seen": 128}"""), "manifest.json"));

        assertTrue(e.getMessage().contains("has no files"), e.getMessage());
    }

    @Test
    void textThatIsNotJsonIsRefusedNamingTheFile() {
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                () -> Manifest.parse(utf8("{\"step\": 4,"), "file:///ckpt/step-000000000004/manifest.json"));

        assertTrue(e.getMessage().contains("file:///ckpt/step-000000000004/manifest.json is not valid JSON"),
                e.getMessage());
    }

    @Test
    void aFileEntryMatchesOnlyTheBytesItDescribes() {
        Manifest.FileEntry entry = Manifest.FileEntry.of(TEACHER);

        assertTrue(entry.matches(TEACHER.clone()));
        assertFalse(entry.matches(new byte[] {1, 2, 3, 4, 6}), "same size, other bytes");
        assertFalse(entry.matches(new byte[] {1, 2, 3, 4}), "truncated");
    }
}
