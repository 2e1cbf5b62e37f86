package io.dinostream.bench;

import ai.djl.engine.Engine;
import io.dinostream.augment.MultiCropPolicy;
import io.dinostream.config.Cli;
import io.dinostream.datasets.SyntheticImages;
import io.dinostream.model.ModelSpec;
import io.dinostream.train.CropBatch;
import io.dinostream.train.DinoSchedules;
import io.dinostream.train.DinoTrainer;
import io.dinostream.train.TrainerConfig;
import io.dinostream.types.CropSet;
import io.dinostream.types.TrainingReport;
import io.dinostream.util.SeededRandom;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times {@link DinoTrainer#step} alone: batches are cropped before the clock starts, so the
 * numbers are the trainer's (forward, loss, backward, clipping, AdamW, EMA), comparable with the
 * official train_one_epoch body. Reports every step and the median after warm-up.
 */
public final class StepBenchmark {

    private StepBenchmark() {}

    public static void run(List<String> args) {
        Cli cli = new Cli("bench-step: time DINO trainer steps on synthetic images")
                .option("backbone", "resnet18", "resnet10, resnet14, resnet18, resnet34 or resnet50")
                .option("width", "64", "channels of the first ResNet stage")
                .option("small-stem", "true", "3x3 stride-1 stem without max-pool")
                .option("batch", "64", "source images per step")
                .option("global-size", "32", "global crop side in pixels")
                .option("local-size", "16", "local crop side in pixels")
                .option("global-views", "2", "global views per image")
                .option("local-views", "4", "local views per image")
                .option("out-dim", "4096", "K, prototypes in the DINO head")
                .option("hidden-dim", "2048", "DINO head hidden width")
                .option("bottleneck-dim", "256", "DINO head bottleneck")
                .option("head-bn", "false", "BatchNorm in the DINO head (--use_bn_in_head)")
                .option("image-size", "32", "side of the synthetic source images")
                .option("warmup", "5", "untimed steps first")
                .option("steps", "20", "timed steps")
                .option("threads", "2", "libtorch intra-op threads");
        if (!cli.parse(args)) {
            return;
        }
        // libtorch reads its thread count when the engine starts: set it before touching DJL.
        System.setProperty("ai.djl.pytorch.num_threads", cli.get("threads"));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        int batch = cli.getInt("batch");
        int warmup = cli.getInt("warmup");
        int steps = cli.getInt("steps");
        ModelSpec model = new ModelSpec(cli.get("backbone"), cli.getInt("width"),
                cli.getBoolean("small-stem"), cli.getInt("out-dim"), cli.getInt("hidden-dim"),
                cli.getInt("bottleneck-dim"), 3, true, cli.getBoolean("head-bn"));
        MultiCropPolicy policy = MultiCropPolicy.builder()
                .globalSize(cli.getInt("global-size"))
                .localSize(cli.getInt("local-size"))
                .globalCount(cli.getInt("global-views"))
                .localCount(cli.getInt("local-views"))
                .build();
        TrainerConfig config = TrainerConfig.builder()
                .model(model)
                .schedules(DinoSchedules.continual(100_000).lr(5e-4, batch, 1e-6, 10).build())
                .views(policy.globalCount(), policy.localCount())
                .build();

        SyntheticImages images = new SyntheticImages(cli.getInt("image-size"), 10, 1);
        SeededRandom random = new SeededRandom(2);
        List<CropBatch> batches = new ArrayList<>();
        for (int b = 0; b < Math.min(4, warmup + steps); b++) {
            List<CropSet> sets = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                sets.add(policy.apply("b" + b + "-" + i, images.next().image(), random));
            }
            batches.add(new CropBatch(sets));
        }

        Engine engine = Engine.getInstance();
        System.out.printf("engine %s %s, device %s, threads %s, java %s%n", engine.getEngineName(),
                engine.getVersion(), engine.defaultDevice(), cli.get("threads"),
                System.getProperty("java.version"));
        System.out.printf("model %s%nviews %d x %d px + %d x %d px, batch %d%n", model,
                policy.globalCount(), policy.globalSize(), policy.localCount(), policy.localSize(), batch);
        double[] seconds = new double[steps];
        try (DinoTrainer trainer = new DinoTrainer(config)) {
            for (int i = 0; i < warmup + steps; i++) {
                long t0 = System.nanoTime();
                TrainingReport r = trainer.step(batches.get(i % batches.size()));
                double s = (System.nanoTime() - t0) / 1e9;
                boolean timed = i >= warmup;
                if (timed) {
                    seconds[i - warmup] = s;
                }
                System.out.printf("step %3d %s %.3f s  loss %.4f%n", i, timed ? "timed " : "warmup", s, r.loss());
            }
        }
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        double median = sorted.length % 2 == 1
                ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        System.out.printf("median step %.3f s over %d steps (min %.3f, max %.3f): %.1f source images/s%n",
                median, steps, sorted[0], sorted[sorted.length - 1], batch / median);
    }
}
