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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor's scoring: results worked out by hand as eval_knn.py computes them (weights
 * exp(similarity / 0.07), the 20 nearest other probes), and agreement with the offline tools on
 * the published files.
 */
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

    /** A unit vector at angle degrees: the cosine similarity of two is the cosine of their angle. */
    private static float[] at(double degrees) {
        return new float[] {(float) Math.cos(Math.toRadians(degrees)), (float) Math.sin(Math.toRadians(degrees))};
    }

    @Test
    void eachProbeIsClassifiedByTheExpWeightedVotesOfTheOtherProbes() {
        // a1 at 0°, a2 at 20°, b1 at 30°, b2 at 90°, b3 at 100°. k 20 takes the 4 other probes;
        // each votes exp(cos(angle between) / 0.07) for its class:
        //   a1: a e^(0.940/0.07) = 6.8e5 against b e^(0.866/0.07) + e^0 + e^(-0.174/0.07) = 2.4e5: a, right
        //       (a plain majority, 3 b against 1 a, would say b)
        //   a2: a 6.8e5 against b e^(0.985/0.07) + ... = 1.3e6: b, wrong
        //   b1: a e^(0.866/0.07) + e^(0.985/0.07) = 1.5e6 against b e^(0.5/0.07) + e^(0.342/0.07) = 1.4e3: a, wrong
        //   b2: b e^(0.985/0.07) = 1.3e6 against a e^0 + e^(0.342/0.07) = 1.3e2: b, right
        //   b3: b 1.3e6 against a e^(-0.174/0.07) + e^(0.174/0.07) = 12: b, right
        // Top-1 3 of 5; top-5 ranks both classes, so it is always right.
        Features probes = new Features(new float[][] {at(0), at(20), at(30), at(90), at(100)},
                new String[] {"a", "a", "b", "b", "b"});

        assertEquals(new KnnResult(60.0, 100.0, 5, 4, 0.07), ProbeScorer.score(probes));
    }

    @Test
    void aProbeWhoseClassHasNoOtherProbeIsMissedWhateverTheTeacher() throws Exception {
        // 11 copies of one image labelled b and another image labelled a. Leave-one-out, k = 11: a b
        // probe has 10 b neighbours of similarity 1 (weight 1 each) and one a neighbour (weight at
        // most 1): b, right. The a probe has only b neighbours: b, wrong, though a ranks second.
        List<RgbImage> images = CheckpointFixtures.images(2, 24, 5);
        List<DecodedImage> probes = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            probes.add(new DecodedImage("b-" + i, null, images.get(0), "b"));
        }
        probes.add(new DecodedImage("a-0", null, images.get(1), "a"));

        KnnResult r = scorer().score(CheckpointFixtures.snapshots().get(1).teacher(), probes);

        assertEquals(new KnnResult(100.0 * 11 / 12, 100.0, 12, 11, 0.07), r);
    }

    @Test
    void whenEveryProbeIsEquallySimilarTheOtherClassOutvotesAProbesOwnByOneVote() throws Exception {
        // One image, 10 probes labelled a and 10 labelled b: every similarity is 1, every weight
        // exp(0) = 1. Leave-one-out, k = 19: a probe's own class has 9 votes, the other 10.
        RgbImage image = CheckpointFixtures.images(1, 24, 5).get(0);
        List<DecodedImage> probes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            probes.add(new DecodedImage("p-" + i, null, image, i < 10 ? "a" : "b"));
        }

        KnnResult r = scorer().score(CheckpointFixtures.snapshots().get(1).teacher(), probes);

        assertEquals(new KnnResult(0.0, 100.0, 20, 19, 0.07), r);
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
