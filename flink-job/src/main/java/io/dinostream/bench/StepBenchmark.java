package io.dinostream.bench;

import ai.djl.engine.Engine;
import io.dinostream.augment.MultiCropPolicy;
import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.datasets.SyntheticImages;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.cuda.CudaUtils;
import io.dinostream.model.DeviceChoice;
import io.dinostream.model.LibTorch;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.Precision;
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

    static final Option<String> BACKBONE =
            Option.text("backbone", "resnet18", "resnet10, resnet14, resnet18, resnet34, resnet50, vit_tiny, vit_small,"
                    + " vit_base or vit:D:DEPTH:HEADS");
    static final Option<Integer> WIDTH = Option.integer("width", "64", "channels of the first ResNet stage");
    static final Option<Boolean> SMALL_STEM = Option.bool("small-stem", "true", "3x3 stride-1 stem without max-pool");
    static final Option<Integer> PATCH_SIZE = Option.integer("patch-size", "16", "ViT patch side in pixels").positive();
    static final Option<Double> DROP_PATH = Option.number("drop-path", "0.1", "ViT student's drop path rate");
    static final Option<Integer> BATCH = Option.integer("batch", "64", "source images per step").positive();
    static final Option<Integer> GLOBAL_SIZE = Option.integer("global-size", "32", "global crop side in pixels");
    static final Option<Integer> LOCAL_SIZE = Option.integer("local-size", "16", "local crop side in pixels");
    static final Option<Integer> GLOBAL_VIEWS = Option.integer("global-views", "2", "global views per image");
    static final Option<Integer> LOCAL_VIEWS = Option.integer("local-views", "4", "local views per image");
    static final Option<Integer> OUT_DIM = Option.integer("out-dim", "4096", "K, prototypes in the DINO head");
    static final Option<Integer> HIDDEN_DIM = Option.integer("hidden-dim", "2048", "DINO head hidden width");
    static final Option<Integer> BOTTLENECK_DIM = Option.integer("bottleneck-dim", "256", "DINO head bottleneck");
    static final Option<Boolean> HEAD_BN =
            Option.bool("head-bn", "false", "BatchNorm in the DINO head (--use_bn_in_head)");
    static final Option<Integer> IMAGE_SIZE = Option.integer("image-size", "32", "side of the synthetic source images");
    static final Option<Integer> WARMUP = Option.integer("warmup", "5", "untimed steps first").nonNegative();
    static final Option<Integer> STEPS = Option.integer("steps", "20", "timed steps").positive();
    static final Option<Integer> THREADS = Option.integer("threads", "2", "libtorch intra-op threads").positive();
    static final Option<DeviceChoice> DEVICE = Option.parsedBy("device", "auto",
            "where the trainer runs: " + DeviceChoice.FORMS, DeviceChoice::parse);
    static final Option<Precision> PRECISION = Option.parsedBy("precision", "fp32",
            "arithmetic of a step: " + Precision.FORMS, Precision::parse);

    static final OptionSet OPTIONS = OptionSet.of("bench-step: time DINO trainer steps on synthetic images",
            BACKBONE, WIDTH, SMALL_STEM, PATCH_SIZE, DROP_PATH, BATCH, GLOBAL_SIZE, LOCAL_SIZE, GLOBAL_VIEWS, LOCAL_VIEWS, OUT_DIM, HIDDEN_DIM,
            BOTTLENECK_DIM, HEAD_BN, IMAGE_SIZE, WARMUP, STEPS, THREADS, DEVICE, PRECISION);

    private StepBenchmark() {}

    /** VmHWM of /proc/self/status (Linux): the most resident memory the process had, libtorch's included. */
    static String peakResidentMemory() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    long kb = Long.parseLong(line.substring("VmHWM:".length()).trim().split("\\s+")[0]);
                    return String.format("%.2f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or no procfs
        }
        return "unknown (no /proc/self/status)";
    }

    public static void run(List<String> args) {
        OptionValues given = OPTIONS.parseArgs(args);
        if (given == null) {
            System.out.println(OPTIONS.help());
            return;
        }
        // libtorch reads its thread count when the engine starts: set it before touching DJL.
        System.setProperty("ai.djl.pytorch.num_threads", given.text(THREADS));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        int batch = given.get(BATCH);
        int warmup = given.get(WARMUP);
        int steps = given.get(STEPS);
        ModelSpec model = new ModelSpec(given.get(BACKBONE), given.get(WIDTH), given.get(SMALL_STEM),
                given.get(OUT_DIM), given.get(HIDDEN_DIM), given.get(BOTTLENECK_DIM), 3, true, given.get(HEAD_BN),
                given.get(PATCH_SIZE), given.get(DROP_PATH), given.get(GLOBAL_SIZE));
        MultiCropPolicy policy = MultiCropPolicy.builder()
                .globalSize(given.get(GLOBAL_SIZE))
                .localSize(given.get(LOCAL_SIZE))
                .globalCount(given.get(GLOBAL_VIEWS))
                .localCount(given.get(LOCAL_VIEWS))
                .build();
        TrainerConfig config = TrainerConfig.builder()
                .model(model)
                .schedules(DinoSchedules.continual(100_000).lr(5e-4, batch, 1e-6, 10).build())
                .views(policy.globalCount(), policy.localCount())
                .device(given.get(DEVICE))
                .precision(given.get(PRECISION))
                .build();

        SyntheticImages images = new SyntheticImages(given.get(IMAGE_SIZE), 10, 1);
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
        System.out.printf("engine %s %s, threads %s, java %s%n%s%n", engine.getEngineName(), engine.getVersion(),
                given.text(THREADS), System.getProperty("java.version"), LibTorch.loaded().describe());
        System.out.printf("model %s%nviews %d x %d px + %d x %d px, batch %d%n", model,
                policy.globalCount(), policy.globalSize(), policy.localCount(), policy.localSize(), batch);
        double[] seconds = new double[steps];
        long peakGpuBytes = 0;
        try (DinoTrainer trainer = new DinoTrainer(config)) {
            System.out.printf("device %s, precision %s%n", trainer.device(), config.precision());
            if (trainer.device().isGpu()) {
                JniUtils.emptyCudaCache();
            }
            for (int i = 0; i < warmup + steps; i++) {
                long t0 = System.nanoTime();
                TrainingReport r = trainer.step(batches.get(i % batches.size()));
                double s = (System.nanoTime() - t0) / 1e9;
                boolean timed = i >= warmup;
                if (timed) {
                    seconds[i - warmup] = s;
                }
                System.out.printf("step %3d %s %.3f s  loss %.4f%n", i, timed ? "timed " : "warmup", s, r.loss());
                if (trainer.device().isGpu()) {
                    peakGpuBytes = Math.max(peakGpuBytes, gpuBytesInUse(trainer.device()));
                }
            }
        }
        if (peakGpuBytes > 0) {
            // cudaMemGetInfo's used memory: libtorch's caching allocator included, as torch.cuda.max_memory_reserved
            System.out.printf("peak GPU memory in use %.2f GiB (device-wide, sampled after each step)%n",
                    peakGpuBytes / (double) (1L << 30));
        }
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        double median = sorted.length % 2 == 1
                ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        System.out.printf("median step %.3f s over %d steps (min %.3f, max %.3f): %.1f source images/s%n",
                median, steps, sorted[0], sorted[sorted.length - 1], batch / median);
        System.out.println("peak resident memory of the process: " + peakResidentMemory());
        LibTorch.mappedLibrary("torch_cpu").ifPresent(path -> System.out.println("libtorch_cpu loaded from " + path));
    }

    /** Memory in use on a GPU (all processes), from the CUDA runtime; 0 where it cannot be read. */
    private static long gpuBytesInUse(ai.djl.Device device) {
        try {
            return CudaUtils.getGpuMemory(device).getUsed();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return 0;
        }
    }
}
