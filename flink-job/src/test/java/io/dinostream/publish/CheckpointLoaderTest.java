package io.dinostream.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.dinostream.model.Safetensors;
import io.dinostream.types.ModelSnapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading published checkpoints, and refusing ones that are missing, corrupt or tampered with. */
class CheckpointLoaderTest {

    private static final String TEACHER_2 = "step-000000000002/teacher.safetensors";

    @TempDir Path dir;
    private FileObjectStore store;

    @BeforeEach
    void publish() throws Exception {
        store = CheckpointFixtures.publish(dir);
    }

    @Test
    void latestLoadsTheNewestStepWithTheTeacherBackboneBitForBit() throws Exception {
        try (LoadedCheckpoint loaded = CheckpointLoader.load(store, "latest")) {
            assertEquals(2, loaded.step());
            assertEquals(store.location() + "/step-000000000002/", loaded.location());
            assertEquals(CheckpointFixtures.CONFIG.model().spec(), loaded.modelSpec());
            assertEquals(16, loaded.globalSize());
            assertEquals(32, loaded.featureDim(), "resnet18 of width 4: 8 x 4 features");
            assertEquals(2, loaded.manifest().step());
            assertBackboneEquals(CheckpointFixtures.snapshots().get(1), loaded);
            NDArray tracked = loaded.backbone().stateDict().get("bn1.num_batches_tracked");
            assertEquals(2L, tracked.getLong(), "BatchNorm counters are loaded too");
        }
    }

    @Test
    void aStepNumberLoadsThatStep() throws Exception {
        try (LoadedCheckpoint first = CheckpointLoader.load(store, "1");
                LoadedCheckpoint second = CheckpointLoader.load(store, " 2 ")) {
            assertEquals(1, first.step());
            assertBackboneEquals(CheckpointFixtures.snapshots().get(0), first);
            assertEquals(2, second.step());
            assertFalse(Arrays.equals(bytes(first.backbone().stateDict().get("conv1.weight")),
                    bytes(second.backbone().stateDict().get("conv1.weight"))),
                    "a training step changed the teacher");
        }
    }

    @Test
    void aByteFlippedAfterPublishingIsRefusedAsASha256Mismatch() throws Exception {
        Path file = dir.resolve(TEACHER_2);
        byte[] data = Files.readAllBytes(file);
        String expected = CheckpointPublisher.sha256(data);
        data[data.length - 3] ^= 0x01; // a bit of the last tensor's data
        Files.write(file, data);

        CorruptCheckpointException e =
                assertThrows(CorruptCheckpointException.class, () -> CheckpointLoader.load(store, "latest"));
        assertTrue(e.getMessage().contains("sha256 mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains(store.location() + "/" + TEACHER_2), e.getMessage());
        assertTrue(e.getMessage().contains("expected " + expected), e.getMessage());
        assertTrue(e.getMessage().contains("actual " + CheckpointPublisher.sha256(data)), e.getMessage());
        assertTrue(e.getMessage().contains("corrupt or tampered"), e.getMessage());
        // the other checkpoint is intact
        try (LoadedCheckpoint first = CheckpointLoader.load(store, "1")) {
            assertEquals(1, first.step());
        }
    }

    @Test
    void aTruncatedFileIsRefusedAsASizeMismatch() throws Exception {
        Path file = dir.resolve(TEACHER_2);
        byte[] data = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(data, data.length / 2));

        CorruptCheckpointException e =
                assertThrows(CorruptCheckpointException.class, () -> CheckpointLoader.load(store, "2"));
        assertTrue(e.getMessage().contains("size mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains(TEACHER_2), e.getMessage());
        assertTrue(e.getMessage().contains(data.length + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("corrupt or tampered"), e.getMessage());
    }

    @Test
    void aMissingLatestSaysNothingWasPublishedThere() throws Exception {
        FileObjectStore empty = new FileObjectStore(dir.resolve("empty"));
        IOException e = assertThrows(IOException.class, () -> CheckpointLoader.load(empty, "latest"));
        assertTrue(e.getMessage().contains(empty.location() + "/latest.json"), e.getMessage());
        assertTrue(e.getMessage().contains("nothing has been published"), e.getMessage());
    }

    @Test
    void aMissingStepNamesItsManifestAndThePublishedSteps() {
        IOException e = assertThrows(IOException.class, () -> CheckpointLoader.load(store, "7"));
        assertTrue(e.getMessage().contains(store.location() + "/step-000000000007/manifest.json"), e.getMessage());
        assertTrue(e.getMessage().contains("published steps: 1, 2"), e.getMessage());
    }

    @Test
    void aMissingTeacherFileIsNamed() throws Exception {
        Files.delete(dir.resolve(TEACHER_2));
        IOException e = assertThrows(IOException.class, () -> CheckpointLoader.load(store, "latest"));
        assertTrue(e.getMessage().contains(store.location() + "/" + TEACHER_2), e.getMessage());
    }

    @Test
    void aStepThatIsNeitherLatestNorANumberIsRejected() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> CheckpointLoader.load(store, "newest"));
        assertTrue(e.getMessage().contains("'newest'"), e.getMessage());
    }

    @Test
    void aManifestDescribingAnotherModelIsRefusedWithTheTensorThatDoesNotFit() throws Exception {
        Path manifest = dir.resolve("step-000000000002/manifest.json");
        JsonObject json = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
        json.getAsJsonObject("config").addProperty("model.width", "8");
        Files.writeString(manifest, json.toString(), StandardCharsets.UTF_8);

        CorruptCheckpointException e =
                assertThrows(CorruptCheckpointException.class, () -> CheckpointLoader.load(store, "latest"));
        assertTrue(e.getMessage().contains("backbone.conv1.weight has shape [4, 3, 3, 3]"), e.getMessage());
    }

    @Test
    void aManifestWithoutAFormatFieldStillLoads() throws Exception {
        Path manifest = dir.resolve("step-000000000002/manifest.json");
        JsonObject json = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
        json.remove("format");
        Files.writeString(manifest, json.toString(), StandardCharsets.UTF_8);

        try (LoadedCheckpoint loaded = CheckpointLoader.load(store, "latest")) {
            assertEquals(2, loaded.step());
            assertBackboneEquals(CheckpointFixtures.snapshots().get(1), loaded);
        }
    }

    @Test
    void aLatestPointingElsewhereThanItsStepIsNotFollowed() throws Exception {
        Files.writeString(dir.resolve("latest.json"),
                "{\"step\": 2, \"folder\": \"../elsewhere/\", \"manifest\": \"../elsewhere/manifest.json\"}");
        CorruptCheckpointException e =
                assertThrows(CorruptCheckpointException.class, () -> CheckpointLoader.load(store, "latest"));
        assertTrue(e.getMessage().contains("latest.json"), e.getMessage());
    }

    private static void assertBackboneEquals(ModelSnapshot snapshot, LoadedCheckpoint loaded) {
        Map<String, Safetensors.Tensor> written = Safetensors.read(snapshot.teacher());
        Map<String, NDArray> state = loaded.backbone().stateDict();
        long backboneTensors = written.keySet().stream().filter(k -> k.startsWith("backbone.")).count();
        assertEquals(backboneTensors, state.size());
        state.forEach((name, array) -> {
            Safetensors.Tensor t = written.get("backbone." + name);
            assertArrayEquals(t.shape(), array.getShape().getShape(), name);
            assertArrayEquals(t.data(), bytes(array), name + " bit for bit");
        });
    }

    private static byte[] bytes(NDArray array) {
        return Safetensors.toTensor(array).data();
    }
}
