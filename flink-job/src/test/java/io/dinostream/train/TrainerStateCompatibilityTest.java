package io.dinostream.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.model.Safetensors;
import io.dinostream.util.SeededRandom;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Trainer states are safetensors files; states saved by earlier builds (Flink checkpoints and
 * savepoints) still restore, and states this build cannot use are refused with what to do.
 */
final class TrainerStateCompatibilityTest {

    private static List<CropBatch> batches() {
        SeededRandom data = new SeededRandom(7);
        List<CropBatch> batches = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batches.add(TrainerFixtures.noiseBatch(data, 4));
        }
        return batches;
    }

    @Test
    void aStateIsASafetensorsFileOfNamedTensorsWithItsCountersInTheMetadata() {
        try (DinoTrainer trainer = new DinoTrainer(TrainerFixtures.tinyResNet(1))) {
            trainer.step(batches().get(0));

            byte[] state = trainer.saveState();
            Map<String, String> meta = Safetensors.metadata(state);
            Map<String, Safetensors.Tensor> tensors = Safetensors.read(state);

            assertEquals("dino-stream/trainer-state", meta.get("dino_stream"));
            assertEquals("3", meta.get("state_version"));
            assertEquals("1", meta.get("step"));
            assertEquals("4", meta.get("images_seen"));
            assertEquals("1", meta.get("updates.backbone.conv1.weight"));
            assertTrue(tensors.containsKey("student.backbone.conv1.weight"));
            assertTrue(tensors.containsKey("teacher.head.last_layer.weight_v"));
            assertTrue(tensors.containsKey("adamw.exp_avg_sq.backbone.conv1.weight"));
            assertTrue(tensors.containsKey("loss.center"));
        }
    }

    @Test
    void aStateSavedBeforeSafetensorsRestoresBitForBitAndTrainingContinuesIdentically() throws IOException {
        List<CropBatch> batches = batches();
        try (DinoTrainer original = new DinoTrainer(TrainerFixtures.tinyResNet(1));
                DinoTrainer restored = new DinoTrainer(TrainerFixtures.tinyResNet(99))) {
            for (int i = 0; i < 3; i++) {
                original.step(batches.get(i));
            }
            byte[] current = original.saveState();

            restored.loadState(oldLayout(current, 2));

            assertEquals(3, restored.stepCount());
            assertEquals(12, restored.imagesSeen());
            assertArrayEquals(current, restored.saveState(), "the upgraded state is the one saved today");
            for (int i = 3; i < 5; i++) {
                assertEquals(original.step(batches.get(i)).loss(), restored.step(batches.get(i)).loss(),
                        "loss of step " + i + " after the restore");
            }
            assertArrayEquals(original.saveState(), restored.saveState());
        }
    }

    @Test
    void aVersionOneStateRestoresWithNoImagesSkipped() throws IOException {
        try (DinoTrainer original = new DinoTrainer(TrainerFixtures.tinyResNet(1));
                DinoTrainer restored = new DinoTrainer(TrainerFixtures.tinyResNet(99))) {
            original.step(batches().get(0));

            restored.loadState(oldLayout(original.saveState(), 1));

            assertEquals(1, restored.stepCount());
            assertEquals(0, restored.imagesSkipped());
            assertArrayEquals(original.saveState(), restored.saveState());
        }
    }

    @Test
    void aStateFromANewerBuildIsRefusedSayingWhichVersionToUse() {
        try (DinoTrainer trainer = new DinoTrainer(TrainerFixtures.tinyResNet(1))) {
            byte[] state = trainer.saveState();
            Map<String, String> meta = new LinkedHashMap<>(Safetensors.metadata(state));
            meta.put("state_version", "4");
            byte[] newer = Safetensors.writeRaw(Safetensors.read(state), meta);

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.loadState(newer));

            assertTrue(e.getMessage().contains("version 4"), e.getMessage());
            assertTrue(e.getMessage().contains("newer DINO Stream"), e.getMessage());
            assertTrue(e.getMessage().contains("restore with the version that saved it"), e.getMessage());
        }
    }

    @Test
    void aSafetensorsFileThatIsNotATrainerStateIsRefused() {
        try (DinoTrainer trainer = new DinoTrainer(TrainerFixtures.tinyResNet(1))) {
            byte[] teacherOnly = Safetensors.write(trainer.teacher().stateDict(), Map.of("format", "pt"));

            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> trainer.loadState(teacherOnly));

            assertTrue(e.getMessage().contains("not a DINO Stream trainer state"), e.getMessage());
        }
    }

    @Test
    void aTruncatedOldStateIsRefusedAsCorrupt() throws IOException {
        try (DinoTrainer trainer = new DinoTrainer(TrainerFixtures.tinyResNet(1))) {
            byte[] old = oldLayout(trainer.saveState(), 2);
            byte[] truncated = Arrays.copyOf(old, old.length / 2);

            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> trainer.loadState(truncated));

            assertTrue(e.getMessage().contains("truncated or corrupt"), e.getMessage());
        }
    }

    /**
     * The state as builds before safetensors wrote it (DinoTrainer.saveState with Tensors.write):
     * UTF magic, int version, UTF model, the counters (version 2 added images skipped), the RNG
     * state, the tensors (UTF name, UTF DJL dtype, int rank, long dims, int length, bytes), the
     * update counts (UTF name, long).
     */
    private static byte[] oldLayout(byte[] current, int version) throws IOException {
        Map<String, String> meta = Safetensors.metadata(current);
        Map<String, Safetensors.Tensor> tensors = Safetensors.read(current);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF("dino-stream/trainer-state");
            out.writeInt(version);
            out.writeUTF(meta.get("model"));
            out.writeLong(Long.parseLong(meta.get("step")));
            out.writeLong(Long.parseLong(meta.get("images_seen")));
            out.writeLong(Long.parseLong(meta.get("non_finite_steps")));
            if (version >= 2) {
                out.writeLong(Long.parseLong(meta.get("images_skipped")));
            }
            out.writeLong(Long.parseLong(meta.get("random_state")));
            out.writeInt(tensors.size());
            for (Map.Entry<String, Safetensors.Tensor> e : tensors.entrySet()) {
                Safetensors.Tensor t = e.getValue();
                out.writeUTF(e.getKey());
                out.writeUTF(Safetensors.dataType(t.dtype()).name());
                out.writeInt(t.shape().length);
                for (long d : t.shape()) {
                    out.writeLong(d);
                }
                out.writeInt(t.data().length);
                out.write(t.data());
            }
            Map<String, String> counts = new LinkedHashMap<>();
            meta.forEach((k, v) -> {
                if (k.startsWith("updates.")) {
                    counts.put(k.substring("updates.".length()), v);
                }
            });
            out.writeInt(counts.size());
            for (Map.Entry<String, String> e : counts.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(Long.parseLong(e.getValue()));
            }
        }
        return bytes.toByteArray();
    }
}
