package io.dinostream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.dinostream.JobConfig;
import io.dinostream.model.DeviceChoice;
import io.dinostream.model.Precision;
import io.dinostream.util.SeededRandom;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/** The trainer follows --train.device and --train.precision; on this CPU machine a GPU or bf16 fails at start. */
class TrainerDeviceTest {

    private static TrainerConfig tiny(DeviceChoice device, Precision precision) {
        TrainerConfig base = TrainerFixtures.tinyResNet(1);
        return TrainerConfig.builder().model(base.model()).schedules(base.schedules()).views(2, 2).seed(1)
                .device(device).precision(precision).build();
    }

    @Test
    void autoAndCpuTrainOnTheCpuHere() {
        for (DeviceChoice choice : List.of(DeviceChoice.AUTO, DeviceChoice.CPU)) {
            try (DinoTrainer trainer = new DinoTrainer(tiny(choice, Precision.FP32))) {
                assertEquals(Device.cpu(), trainer.device());
                assertTrue(trainer.step(TrainerFixtures.noiseBatch(new SeededRandom(3), 4)).applied());
            }
        }
    }

    @Test
    void aGpuFailsTheTrainerAtStartNamingTheLibtorchLoaded() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DinoTrainer(tiny(DeviceChoice.parse("gpu"), Precision.FP32)));

        assertTrue(e.getMessage().startsWith("device gpu:0 was asked for, but the libtorch loaded can use no GPU:"
                + " libtorch 2.7.1, flavor cpu (a CPU-only build)"), e.getMessage());
    }

    @Test
    void bf16LeftToAutoFailsTheTrainerAtStartOnTheCpuBeforeAnyBfloat16Tensor() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DinoTrainer(tiny(DeviceChoice.AUTO, Precision.BF16)));

        assertTrue(e.getMessage().startsWith("--train.precision bf16 runs on a GPU only, but the device is cpu()"),
                e.getMessage());
    }

    @Test
    void theJobRefusesBf16OnTheCpuAndKoLeoUnderBf16WhenItsOptionsAreRead() {
        IllegalArgumentException cpu = assertThrows(IllegalArgumentException.class,
                () -> JobConfig.of(Map.of("train.device", "cpu", "train.precision", "bf16")));
        assertTrue(cpu.getMessage().startsWith("--train.precision bf16 runs on a GPU only, but --train.device cpu"),
                cpu.getMessage());
        IllegalArgumentException koleo = assertThrows(IllegalArgumentException.class,
                () -> JobConfig.of(Map.of("train.device", "gpu", "train.precision", "bf16", "train.koleo-weight", "0.1")));
        assertTrue(koleo.getMessage().startsWith("--train.koleo-weight is not supported with --train.precision bf16"),
                koleo.getMessage());
        assertEquals("device must be auto (a GPU when libtorch has one), cpu, gpu or gpu:N, got 'gpu1'",
                assertThrows(IllegalArgumentException.class,
                        () -> JobConfig.of(Map.of("train.device", "gpu1"))).getMessage());
    }

    @Test
    void theJobCarriesItsDeviceAndPrecisionToTheTrainer() {
        TrainerConfig config = JobConfig.of(Map.of("train.device", "gpu:1", "train.precision", "bf16"))
                .trainerConfig();

        assertEquals(DeviceChoice.parse("gpu:1"), config.device());
        assertEquals(Precision.BF16, config.precision());
        assertEquals(DeviceChoice.AUTO, JobConfig.of(Map.of()).trainerConfig().device());
        assertEquals(Precision.FP32, JobConfig.of(Map.of()).trainerConfig().precision());
    }

    @Test
    void allViewsTravelInOneBufferAndComeOutAsEachViewAlone() {
        CropBatch batch = TrainerFixtures.noiseBatch(new SeededRandom(5), 3);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            List<NDArray> together = batch.views(manager, DataType.FLOAT32);

            assertEquals(batch.viewCount(), together.size());
            for (int v = 0; v < batch.viewCount(); v++) {
                NDArray alone = batch.view(v, manager, DataType.FLOAT32);
                assertEquals(alone.getShape(), together.get(v).getShape());
                assertTrue(alone.contentEquals(together.get(v)), "view " + v);
            }
            assertEquals(new ai.djl.ndarray.types.Shape(3, 3, 8, 8), together.get(3).getShape());
        }
    }

    /**
     * bf16's plumbing on the CPU: with float32 working copies (the only type DJL 0.36 can make
     * here), refreshing the copies from the masters, the backward on the copies, their gradients
     * applied to the masters and their BatchNorm statistics copied back train exactly as the masters
     * alone do. bf16 differs only in the copies' type.
     */
    @Test
    void workingCopiesOfTheMastersTrainAsTheMastersDo() {
        TrainerConfig config = tiny(DeviceChoice.CPU, Precision.FP32);
        try (DinoTrainer masters = new DinoTrainer(config, Device.cpu());
                DinoTrainer copies = new DinoTrainer(config, Device.cpu(), DataType.FLOAT32)) {
            SeededRandom random = new SeededRandom(9);
            for (int i = 0; i < 3; i++) {
                CropBatch batch = TrainerFixtures.noiseBatch(random, 4);
                assertEquals(masters.step(batch).loss(), copies.step(batch).loss(), 1e-6, "step " + i);
            }
            Map<String, double[]> expected = TrainerFixtures.snapshot(masters);
            Map<String, double[]> actual = TrainerFixtures.snapshot(copies);
            assertEquals(expected.keySet(), actual.keySet());
            expected.forEach((name, values) -> {
                double[] got = actual.get(name);
                for (int j = 0; j < values.length; j++) {
                    assertEquals(values[j], got[j], 1e-5 + 1e-4 * Math.abs(values[j]), name + "[" + j + "]");
                }
            });
            int live = copies.liveArrayCount();
            copies.step(TrainerFixtures.noiseBatch(random, 4));
            assertEquals(live, copies.liveArrayCount(), "a step with working copies leaves no array behind");
        }
    }
}
