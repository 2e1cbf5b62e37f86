package io.dinostream.publish;

import io.dinostream.augment.MultiCropPolicy;
import io.dinostream.JobConfig;
import io.dinostream.datasets.SyntheticImages;
import io.dinostream.train.StreamingTrainer;
import io.dinostream.types.ModelSnapshot;
import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Real checkpoints of a tiny ResNet-18 (width 4, 16 px global views), or of a tiny ViT: a
 * StreamingTrainer trains two steps on synthetic images and snapshots after each, and
 * CheckpointPublisher publishes them.
 */
public final class CheckpointFixtures {

    /** The job options of the fixture, as a manifest records them. */
    public static final JobConfig CONFIG = JobConfig.of(Map.of(
            "crops.global-size", "16",
            "crops.local-size", "8",
            "crops.local-count", "2",
            "model.width", "4",
            "model.out-dim", "32",
            "model.hidden-dim", "32",
            "model.bottleneck-dim", "16",
            "train.batch-size", "4",
            "s3.secret-key", "not-a-real-secret"));

    /** A tiny ViT (D 16, 2 blocks, 2 heads, patch 4) on the same views: its position grid is 4 x 4. */
    public static final JobConfig VIT_CONFIG = CONFIG.with(Map.of(
            "model.backbone", "vit:16:2:2",
            "model.patch-size", "4"));

    private static final Map<JobConfig, List<ModelSnapshot>> SNAPSHOTS = new java.util.HashMap<>();

    private CheckpointFixtures() {}

    /** Snapshots of steps 1 and 2 (trained once per JVM). */
    public static List<ModelSnapshot> snapshots() {
        return snapshots(CONFIG);
    }

    /** Snapshots of steps 1 and 2 of a trainer with config's options (trained once per JVM). */
    public static synchronized List<ModelSnapshot> snapshots(JobConfig config) {
        List<ModelSnapshot> cached = SNAPSHOTS.get(config);
        if (cached == null) {
            List<ModelSnapshot> out = new ArrayList<>();
            try (StreamingTrainer trainer = new StreamingTrainer(config.trainerConfig(),
                    new StreamingTrainer.Policy(4, 1, 0, 0))) {
                MultiCropPolicy crops = config.crops().policy();
                SyntheticImages images = new SyntheticImages(24, 4, 7);
                SeededRandom random = new SeededRandom(1);
                for (int i = 0; i < 8; i++) {
                    trainer.accept(crops.apply("img-" + i, images.next().image(), random), r -> {}, out::add);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            if (out.size() != 2) {
                throw new IllegalStateException("expected 2 snapshots, got " + out.size());
            }
            cached = List.copyOf(out);
            SNAPSHOTS.put(config, cached);
        }
        return cached;
    }

    /** A store at dir holding the published checkpoints of steps 1 and 2 (latest: 2). */
    public static FileObjectStore publish(Path dir) throws IOException, InterruptedException {
        return publish(dir, CONFIG);
    }

    /** A store at dir holding the published checkpoints of steps 1 and 2 of config's trainer (latest: 2). */
    public static FileObjectStore publish(Path dir, JobConfig config) throws IOException, InterruptedException {
        FileObjectStore store = new FileObjectStore(dir);
        CheckpointPublisher publisher = new CheckpointPublisher(store, config.describe(), 1, 1);
        for (ModelSnapshot s : snapshots(config)) {
            publisher.publish(s);
        }
        return store;
    }

    /** n synthetic images of side size. */
    public static List<RgbImage> images(int n, int size, long seed) {
        SyntheticImages images = new SyntheticImages(size, 10, seed);
        List<RgbImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(images.next().image());
        }
        return out;
    }
}
