package io.dinostream.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.types.CropSet;
import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class MultiCropPolicyTest {

    private static final RgbImage IMAGE = TestImages.pattern(320, 240);

    @Test
    void paperPolicyGivesTwoGlobalViewsOf224AndEightLocalOf96() {
        CropSet set = MultiCropPolicy.paper().apply("img-1", IMAGE, new SeededRandom(1));
        assertEquals("img-1", set.sourceId());
        assertViews(set.globalViews(), 2, 224);
        assertViews(set.localViews(), 8, 96);
    }

    @Test
    void smallImagesPolicyGivesTwoGlobalViewsOf32AndFourLocalOf16() {
        RgbImage mnistSized = TestImages.pattern(28, 28);
        CropSet set = MultiCropPolicy.smallImages().apply("digit", mnistSized, new SeededRandom(2));
        assertViews(set.globalViews(), 2, 32);
        assertViews(set.localViews(), 4, 16);
    }

    @Test
    void paperPolicyWorksOn28x28Image() {
        RgbImage tiny = TestImages.pattern(28, 28);
        CropSet set = MultiCropPolicy.paper().apply("tiny", tiny, new SeededRandom(3));
        assertViews(set.globalViews(), 2, 224);
        assertViews(set.localViews(), 8, 96);
    }

    @Test
    void paperPolicyWorksOn4000x3000Image() {
        RgbImage photo = TestImages.noise(4000, 3000, 4, 0, 255);
        CropSet set = MultiCropPolicy.paper().apply("photo", photo, new SeededRandom(4));
        assertViews(set.globalViews(), 2, 224);
        assertViews(set.localViews(), 8, 96);
    }

    @Test
    void sameSeedGivesIdenticalCropSet() {
        MultiCropPolicy policy = MultiCropPolicy.paper();
        CropSet a = policy.apply("x", IMAGE, new SeededRandom(5));
        CropSet b = policy.apply("x", IMAGE, new SeededRandom(5));
        assertEquals(a.globalViews(), b.globalViews());
        assertEquals(a.localViews(), b.localViews());
    }

    @Test
    void differentSeedGivesDifferentCropSet() {
        MultiCropPolicy policy = MultiCropPolicy.paper();
        CropSet a = policy.apply("x", IMAGE, new SeededRandom(6));
        CropSet b = policy.apply("x", IMAGE, new SeededRandom(7));
        assertNotEquals(a.globalViews(), b.globalViews());
        assertNotEquals(a.localViews(), b.localViews());
    }

    @Test
    void viewsOfOneSetDifferFromEachOther() {
        CropSet set = MultiCropPolicy.paper().apply("x", IMAGE, new SeededRandom(8));
        assertNotEquals(set.globalViews().get(0), set.globalViews().get(1));
        assertNotEquals(set.localViews().get(0), set.localViews().get(1));
    }

    @Test
    void extraGlobalViewsAndNoLocalViewsAreAllowed() {
        MultiCropPolicy policy =
                MultiCropPolicy.builder().globalSize(40).globalCount(3).localCount(0).build();
        CropSet set = policy.apply("x", IMAGE, new SeededRandom(9));
        assertViews(set.globalViews(), 3, 40);
        assertEquals(0, set.localViews().size());
    }

    @Test
    void builderStartsFromThePaperValues() {
        assertEquals(
                new MultiCropPolicy(224, 96, 2, 8, 0.4, 1.0, 0.05, 0.4, 0.1, 2.0),
                MultiCropPolicy.builder().build());
    }

    @Test
    void invalidConfigurationNamesTheField() {
        assertRejected("globalSize", () -> MultiCropPolicy.builder().globalSize(0).build());
        assertRejected("localSize", () -> MultiCropPolicy.builder().localSize(-3).build());
        assertRejected("globalCount", () -> MultiCropPolicy.builder().globalCount(0).build());
        assertRejected("localCount", () -> MultiCropPolicy.builder().localCount(-1).build());
        assertRejected("globalScaleMin", () -> MultiCropPolicy.builder().globalScale(0, 1).build());
        assertRejected(
                "localScaleMax", () -> MultiCropPolicy.builder().localScale(0.05, 1.5).build());
        assertRejected(
                "localScaleMin", () -> MultiCropPolicy.builder().localScale(0.5, 0.4).build());
    }

    private static void assertRejected(String field, Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().startsWith(field + " "), e.getMessage());
    }

    private static void assertViews(List<RgbImage> views, int count, int size) {
        assertEquals(count, views.size());
        for (RgbImage view : views) {
            assertEquals(size, view.width());
            assertEquals(size, view.height());
        }
    }

    @Test
    void theBlurCanBeTurnedOffAndABadSigmaRangeIsRefused() {
        MultiCropPolicy off = MultiCropPolicy.builder().globalSize(16).localSize(8).localCount(2).blurSigma(0, 0).build();
        assertFalse(off.blurs());
        assertTrue(MultiCropPolicy.smallImages().blurs());
        CropSet views = off.apply("img", TestImages.pattern(24, 24), new SeededRandom(3));
        assertEquals(2, views.globalViews().size());
        assertEquals(2, views.localViews().size());

        assertThrows(IllegalArgumentException.class, () -> MultiCropPolicy.builder().blurSigma(0.5, 0.1).build());
        assertThrows(IllegalArgumentException.class, () -> MultiCropPolicy.builder().blurSigma(0, 1).build());
    }
}
