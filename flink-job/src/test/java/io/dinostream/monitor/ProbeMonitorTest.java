package io.dinostream.monitor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.datasets.ImageSource;
import io.dinostream.datasets.ImageSources;
import io.dinostream.features.KnnResult;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.model.DeviceChoice;
import io.dinostream.model.ModelSpec;
import io.dinostream.publish.CheckpointFixtures;
import io.dinostream.types.DecodedImage;
import io.dinostream.types.ModelSnapshot;
import io.dinostream.types.RgbImage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The online monitor in Flink's operator test harness: model snapshots on the first input, probe
 * images on the second, and each snapshot out again, unchanged but for the probe set's k-NN score
 * of its teacher.
 */
class ProbeMonitorTest {

    private static final ModelSpec SPEC = CheckpointFixtures.CONFIG.model().spec();
    private static final int SIDE = CheckpointFixtures.CONFIG.crops().policy().globalSize();

    private final List<TwoInputStreamOperatorTestHarness<ModelSnapshot, DecodedImage, ModelSnapshot>> opened =
            new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (var harness : opened) {
            harness.close();
        }
    }

    private TwoInputStreamOperatorTestHarness<ModelSnapshot, DecodedImage, ModelSnapshot> harness(String probeSource)
            throws Exception {
        var harness = new TwoInputStreamOperatorTestHarness<>(new ProbeMonitor(probeSource, 100, SPEC, SIDE, DeviceChoice.CPU));
        opened.add(harness);
        return harness;
    }

    private TwoInputStreamOperatorTestHarness<ModelSnapshot, DecodedImage, ModelSnapshot> open() throws Exception {
        var harness = harness(ProbeMonitor.FROM_STREAM);
        harness.open();
        return harness;
    }

    /** n labelled probe images of 4 classes, 24 px (the monitor resizes them to 16). */
    private static List<DecodedImage> probes(int n) {
        List<RgbImage> images = CheckpointFixtures.images(n, 24, 5);
        List<DecodedImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new DecodedImage("probe-" + i, null, images.get(i), "class-" + (i % 4)));
        }
        return out;
    }

    /** The score ProbeScorer gives the teacher on these probes, kept as the monitor keeps them. */
    private static KnnResult expectedScore(ModelSnapshot snapshot, List<DecodedImage> images) throws Exception {
        ProbeSet set = new ProbeSet(100, SIDE);
        images.forEach(set::offer);
        return new ProbeScorer(SPEC, SIDE).score(snapshot.teacher(), set.probes());
    }

    private static void sendProbes(TwoInputStreamOperatorTestHarness<ModelSnapshot, DecodedImage, ModelSnapshot> harness,
            List<DecodedImage> probes) throws Exception {
        for (DecodedImage probe : probes) {
            harness.processElement2(new StreamRecord<>(probe));
        }
    }

    private static ModelSnapshot scored(TwoInputStreamOperatorTestHarness<ModelSnapshot, DecodedImage, ModelSnapshot> harness,
            ModelSnapshot snapshot) throws Exception {
        harness.processElement1(new StreamRecord<>(snapshot));
        List<ModelSnapshot> out = harness.extractOutputValues();
        assertEquals(1, out.size(), "every snapshot comes out, once");
        return out.get(0);
    }

    /** Everything of the snapshot but its evaluation, field by field (the harness copies what it outputs). */
    private static void assertSameModelAndProvenance(ModelSnapshot expected, ModelSnapshot actual) {
        assertEquals(expected.step(), actual.step());
        assertEquals(expected.imagesSeen(), actual.imagesSeen());
        assertEquals(expected.createdAtMillis(), actual.createdAtMillis());
        assertArrayEquals(expected.teacher(), actual.teacher());
        assertArrayEquals(expected.student(), actual.student());
        assertEquals(expected.metrics(), actual.metrics());
        assertEquals(expected.kafkaOffsets(), actual.kafkaOffsets());
        assertEquals(expected.isFinal(), actual.isFinal());
    }

    private static void assertScore(KnnResult expected, int classes, Map<String, Double> evaluation) {
        assertEquals(expected.top1(), evaluation.get(ProbeScorer.TOP1));
        assertEquals(expected.top5(), evaluation.get(ProbeScorer.TOP5));
        assertEquals(expected.queries(), evaluation.get(ProbeScorer.SIZE));
        assertEquals(classes, evaluation.get(ProbeScorer.CLASSES));
        assertEquals(expected.k(), evaluation.get(ProbeScorer.K));
        assertEquals(expected.temperature(), evaluation.get(ProbeScorer.TEMPERATURE));
        assertTrue(evaluation.get(ProbeScorer.SECONDS) >= 0, "scoring time " + evaluation.get(ProbeScorer.SECONDS));
    }

    @Test
    void aSnapshotComesOutUnchangedWithTheKnnScoreOfTheProbesFromTheSecondInputAttached() throws Exception {
        ModelSnapshot snapshot = CheckpointFixtures.snapshots().get(1);
        List<DecodedImage> probes = probes(40);
        var harness = open();
        sendProbes(harness, probes);

        ModelSnapshot out = scored(harness, snapshot);

        assertSameModelAndProvenance(snapshot, out);
        assertScore(expectedScore(snapshot, probes), 4, out.evaluation());
        assertEquals(40.0, out.evaluation().get(ProbeScorer.SIZE));
    }

    @Test
    void aSnapshotPassesWithoutAScoreWhileThereAreTooFewProbes() throws Exception {
        ModelSnapshot snapshot = CheckpointFixtures.snapshots().get(1);
        var harness = open();
        sendProbes(harness, probes(ProbeScorer.MIN_PROBES - 1));

        ModelSnapshot out = scored(harness, snapshot);

        assertSameModelAndProvenance(snapshot, out);
        assertEquals(Map.of(), out.evaluation());
    }

    @Test
    void aSnapshotWithATeacherThatCannotBeReadPassesWithoutAScore() throws Exception {
        ModelSnapshot good = CheckpointFixtures.snapshots().get(1);
        ModelSnapshot broken = new ModelSnapshot(good.step(), good.imagesSeen(), good.createdAtMillis(),
                Arrays.copyOf(good.teacher(), 100), good.student(), good.metrics(), good.kafkaOffsets(),
                good.isFinal());
        var harness = open();
        sendProbes(harness, probes(40));

        ModelSnapshot out = scored(harness, broken);

        assertSameModelAndProvenance(broken, out);
        assertEquals(Map.of(), out.evaluation());
    }

    @Test
    void theProbesFromTheStreamSurviveARestoreOfTheOperatorsState() throws Exception {
        ModelSnapshot snapshot = CheckpointFixtures.snapshots().get(1);
        List<DecodedImage> probes = probes(40);
        var before = open();
        sendProbes(before, probes);
        OperatorSubtaskState state = before.snapshot(1, 1);

        var after = harness(ProbeMonitor.FROM_STREAM);
        after.initializeState(state);
        after.open();
        ModelSnapshot out = scored(after, snapshot);

        assertScore(expectedScore(snapshot, probes), 4, out.evaluation());
    }

    @Test
    void probesNamedByAnImageSourceAreLoadedAtTheStartAndTheSecondInputCarriesNone() throws Exception {
        ModelSnapshot snapshot = CheckpointFixtures.snapshots().get(1);
        List<DecodedImage> files = new ArrayList<>();
        try (ImageSource source = ImageSources.open("synthetic:4", 0)) {
            for (int i = 0; i < 100; i++) {
                var e = source.next();
                files.add(new DecodedImage(e.getId(), null, ImageDecoder.decode(e, DecodeLimits.defaults()),
                        e.getLabel()));
            }
        }
        var harness = harness("synthetic:4");
        harness.open();

        ModelSnapshot out = scored(harness, snapshot);

        assertScore(expectedScore(snapshot, files), 4, out.evaluation());
        assertEquals(100.0, out.evaluation().get(ProbeScorer.SIZE), "as many as the monitor keeps");
    }
}
