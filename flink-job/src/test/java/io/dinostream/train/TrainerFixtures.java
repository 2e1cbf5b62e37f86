package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.dinostream.model.ModelSpec;
import io.dinostream.types.CropSet;
import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small trainers and batches for tests: a narrow ResNet-18 on 16 px / 8 px views. */
final class TrainerFixtures {

    private TrainerFixtures() {}

    static TrainerConfig tinyResNet(long seed) {
        return tinyResNet(seed, Optimizer.Kind.ADAMW);
    }

    static TrainerConfig tinyResNet(long seed, Optimizer.Kind optimizer) {
        return TrainerConfig.builder()
                .optimizer(optimizer)
                .model(new ModelSpec("resnet18", 8, true, 64, 64, 16, 3, true, true))
                .schedules(DinoSchedules.continual(1000).lr(5e-4, 8, 1e-6, 10).teacherTemp(0.04, 0.07, 10).freezeLastLayer(5).build())
                .views(2, 2)
                .seed(seed)
                .build();
    }

    /**
     * A ViT of D 16, 4 blocks and 2 heads with patch 4 for the 16 px global views (4 x 4 patches;
     * the 8 px local views have 2 x 2, so every local pass interpolates the position grid), drop
     * path 0.1.
     */
    static TrainerConfig tinyVit(long seed) {
        return TrainerConfig.builder()
                .model(new ModelSpec("vit:16:4:2", 1, false, 64, 64, 16, 3, true, false, 4, 0.1, 16))
                .schedules(DinoSchedules.continual(1000).lr(5e-4, 8, 1e-6, 10).teacherTemp(0.04, 0.07, 10).freezeLastLayer(5).build())
                .views(2, 2)
                .seed(seed)
                .build();
    }

    /** Views of random noise: 2 global of 16 px and 2 local of 8 px per image. */
    static CropBatch noiseBatch(SeededRandom random, int batchSize) {
        List<CropSet> sets = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) {
            sets.add(new CropSet("img-" + i,
                    List.of(noise(random, 16), noise(random, 16)),
                    List.of(noise(random, 8), noise(random, 8))));
        }
        return new CropBatch(sets);
    }

    static RgbImage noise(SeededRandom random, int size) {
        byte[] px = new byte[size * size * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) random.nextInt(256);
        }
        return new RgbImage(size, size, px);
    }

    /** Every tensor of a trainer's state, copied out as doubles. */
    static Map<String, double[]> snapshot(DinoTrainer trainer) {
        Map<String, double[]> out = new LinkedHashMap<>();
        trainer.student().stateDict().forEach((k, v) -> out.put("student." + k, values(v)));
        trainer.teacher().stateDict().forEach((k, v) -> out.put("teacher." + k, values(v)));
        trainer.optimizer().stateTensors().forEach((k, v) -> out.put(k, values(v)));
        out.put("center", values(trainer.loss().center()));
        return out;
    }

    private static double[] values(NDArray a) {
        try (NDArray d = a.toType(DataType.FLOAT64, true)) {
            return d.toDoubleArray();
        }
    }
}
