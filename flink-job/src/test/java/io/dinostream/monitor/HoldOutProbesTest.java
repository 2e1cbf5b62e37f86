package io.dinostream.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.types.DecodedImage;
import io.dinostream.types.RgbImage;
import io.dinostream.types.SourcePosition;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** Which images are held out, and the operator that routes them in Flink's operator test harness. */
class HoldOutProbesTest {

    private static int heldOut(int n, double percent) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (HoldOutProbes.isHeldOut("train-" + i, "7", percent)) {
                count++;
            }
        }
        return count;
    }

    @Test
    void holdsOutAboutTheAskedShareOfSequentialIds() {
        // 2 % of 20,000 = 400, binomial sd ~20.
        int n = heldOut(20_000, 2);
        assertTrue(n > 340 && n < 460, "held out " + n + " of 20000 at 2 %");
        assertEquals(0, heldOut(1_000, 0));
        assertEquals(1_000, heldOut(1_000, 100));
    }

    @Test
    void theSameEventIsAlwaysHeldOutOrAlwaysTrainedOnAndUnlabelledOnesAreNeverHeldOut() {
        for (int i = 0; i < 200; i++) {
            String id = "cam-3/frame-" + i;
            assertEquals(HoldOutProbes.isHeldOut(id, "a", 30), HoldOutProbes.isHeldOut(id, "b", 30));
            assertFalse(HoldOutProbes.isHeldOut(id, "", 100));
        }
    }

    @Test
    void aPercentageOutsideZeroToHundredIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new HoldOutProbes(101));
        assertThrows(IllegalArgumentException.class, () -> new HoldOutProbes(-1));
    }

    private static final RgbImage PIXELS = new RgbImage(8, 8, new byte[8 * 8 * 3]);

    /** Images img-0.. in order, labelled "a"/"b" when labelled is true, else unlabelled. */
    private static List<DecodedImage> images(int n, boolean labelled) {
        List<DecodedImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new DecodedImage((labelled ? "img-" : "unlabelled-") + i, new SourcePosition("images", 0, i), PIXELS,
                    labelled ? (i % 2 == 0 ? "a" : "b") : ""));
        }
        return out;
    }

    /** What the operator at percent does with images: main output first, then the probes. */
    private static List<List<DecodedImage>> route(double percent, List<DecodedImage> images) throws Exception {
        try (OneInputStreamOperatorTestHarness<DecodedImage, DecodedImage> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(new HoldOutProbes(percent))) {
            for (DecodedImage image : images) {
                harness.processElement(new StreamRecord<>(image));
            }
            List<DecodedImage> probes = new ArrayList<>();
            var side = harness.getSideOutput(HoldOutProbes.PROBES);
            if (side != null) {
                side.forEach(r -> probes.add(r.getValue()));
            }
            return List.of(harness.extractOutputValues(), probes);
        }
    }

    @Test
    void theOperatorSendsTheHeldOutShareOfLabelledImagesToProbesAndPassesTheRestOnInOrder() throws Exception {
        List<DecodedImage> labelled = images(400, true);

        List<List<DecodedImage>> routed = route(25, labelled);

        List<DecodedImage> expectedProbes = labelled.stream()
                .filter(i -> HoldOutProbes.isHeldOut(i.id(), i.label(), 25)).toList();
        List<DecodedImage> expectedTrained = labelled.stream().filter(i -> !expectedProbes.contains(i)).toList();
        assertEquals(expectedTrained, routed.get(0));
        assertEquals(expectedProbes, routed.get(1));
        assertTrue(routed.get(1).size() > 70 && routed.get(1).size() < 130,
                "about a quarter of 400 held out (binomial sd ~9): " + routed.get(1).size());
    }

    @Test
    void theOperatorPassesEveryUnlabelledImageOnEvenWhenItHoldsOutEveryLabelledOne() throws Exception {
        List<DecodedImage> unlabelled = images(50, false);
        List<DecodedImage> labelled = images(50, true);
        List<DecodedImage> mixed = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            mixed.add(unlabelled.get(i));
            mixed.add(labelled.get(i));
        }

        List<List<DecodedImage>> routed = route(100, mixed);

        assertEquals(unlabelled, routed.get(0));
        assertEquals(labelled, routed.get(1));
    }

    @Test
    void theOperatorAtZeroPercentPassesEveryImageOn() throws Exception {
        List<DecodedImage> labelled = images(100, true);

        List<List<DecodedImage>> routed = route(0, labelled);

        assertEquals(labelled, routed.get(0));
        assertEquals(List.of(), routed.get(1));
    }
}
