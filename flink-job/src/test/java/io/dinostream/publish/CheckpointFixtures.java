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
 * Real checkpoints of a tiny ResNet-18 (width 4, 16 px global views): a StreamingTrainer trains two
 * steps on synthetic images and snapshots after each, and CheckpointPublisher publishes them.
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

    private static List<ModelSnapshot> snapshots;

    private CheckpointFixtures() {}

    /** Snapshots of steps 1 and 2 (trained once per JVM). */
    public static synchronized List<ModelSnapshot> snapshots() {
        if (snapshots == null) {
            List<ModelSnapshot> out = new ArrayList<>();
            try (StreamingTrainer trainer = new StreamingTrainer(CONFIG.trainerConfig(),
                    new StreamingTrainer.Policy(4, 1, 0, 0))) {
                MultiCropPolicy crops = CONFIG.crops().policy();
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
            snapshots = List.copyOf(out);
        }
        return snapshots;
    }

    /** A store at dir holding the published checkpoints of steps 1 and 2 (latest: 2). */
    public static FileObjectStore publish(Path dir) throws IOException, InterruptedException {
        FileObjectStore store = new FileObjectStore(dir);
        CheckpointPublisher publisher = new CheckpointPublisher(store, CONFIG.describe(), 1, 1);
        for (ModelSnapshot s : snapshots()) {
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
