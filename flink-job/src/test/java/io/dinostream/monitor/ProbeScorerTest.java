package io.dinostream.monitor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import io.dinostream.features.Embedder;
import io.dinostream.features.Features;
import io.dinostream.features.KnnClassifier;
import io.dinostream.features.KnnResult;
import io.dinostream.publish.CheckpointFixtures;
import io.dinostream.publish.CheckpointLoader;
import io.dinostream.publish.CorruptCheckpointException;
import io.dinostream.publish.FileObjectStore;
import io.dinostream.publish.LoadedCheckpoint;
import io.dinostream.types.DecodedImage;
import io.dinostream.types.ModelSnapshot;
import io.dinostream.types.RgbImage;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitor's scoring of a snapshot in memory agrees with the offline tools on the published files. */
class ProbeScorerTest {

    @TempDir Path dir;

    private static ProbeSet probes(int n) {
        ProbeSet set = new ProbeSet(n, CheckpointFixtures.CONFIG.crops().policy().globalSize());
        List<RgbImage> images = CheckpointFixtures.images(n, 24, 5);
        for (int i = 0; i < n; i++) {
            set.offer(new DecodedImage("probe-" + i, null, images.get(i), "class-" + (i % 4)));
        }
        return set;
    }

    private static ProbeScorer scorer() {
        return new ProbeScorer(CheckpointFixtures.CONFIG.model().spec(), CheckpointFixtures.CONFIG.crops().policy().globalSize());
    }

    @Test
    void scoringASnapshotEqualsEmbedAndKnnOfItsPublishedCheckpoint() throws Exception {
        ProbeSet set = probes(40);
        ModelSnapshot snapshot = CheckpointFixtures.snapshots().get(1);

        int threads = JniUtils.getNumThreads();
        KnnResult online = scorer().score(snapshot.teacher(), set.probes());
        assertEquals(threads, JniUtils.getNumThreads(), "scoring sets libtorch's thread count back");

        KnnResult offline;
        try (FileObjectStore store = CheckpointFixtures.publish(dir);
                LoadedCheckpoint ckpt = CheckpointLoader.load(store, Long.toString(snapshot.step()))) {
            float[][] rows = new Embedder(ckpt).embed(set.probes().stream().map(DecodedImage::image).toList());
            String[] labels = set.probes().stream().map(DecodedImage::label).toArray(String[]::new);
            offline = new KnnClassifier(new Features(rows, labels)).evaluateLeaveOneOut();
        }
        assertEquals(offline, online);
        assertEquals(40, online.queries());
        assertEquals(KnnClassifier.DEFAULT_K, online.k());
    }

    @Test
    void theEvaluationMapNamesEveryNumber() {
        Map<String, Double> e = ProbeScorer.evaluation(new KnnResult(81.5, 99.0, 400, 20, 0.07), 10, 1.5);

        assertEquals(81.5, e.get(ProbeScorer.TOP1));
        assertEquals(99.0, e.get(ProbeScorer.TOP5));
        assertEquals(400.0, e.get(ProbeScorer.SIZE));
        assertEquals(10.0, e.get(ProbeScorer.CLASSES));
        assertEquals(20.0, e.get(ProbeScorer.K));
        assertEquals(0.07, e.get(ProbeScorer.TEMPERATURE));
        assertEquals(1.5, e.get(ProbeScorer.SECONDS));
    }

    @Test
    void tooFewProbesOrOneClassAreNotScoredAndBrokenTeacherBytesAreRefused() {
        assertFalse(ProbeScorer.canScore(probes(ProbeScorer.MIN_PROBES - 1)));
        assertTrue(ProbeScorer.canScore(probes(ProbeScorer.MIN_PROBES)));
        ProbeSet oneClass = new ProbeSet(50, 16);
        CheckpointFixtures.images(20, 16, 1).forEach(img -> oneClass.offer(new DecodedImage("x", null, img, "only")));
        assertFalse(ProbeScorer.canScore(oneClass));

        byte[] teacher = CheckpointFixtures.snapshots().get(0).teacher();
        byte[] broken = java.util.Arrays.copyOf(teacher, teacher.length / 2);
        assertThrows(CorruptCheckpointException.class, () -> scorer().score(broken, probes(20).probes()));
        assertArrayEquals(teacher, CheckpointFixtures.snapshots().get(0).teacher(), "the fixture is untouched");
    }
}
