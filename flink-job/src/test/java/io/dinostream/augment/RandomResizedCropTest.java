package io.dinostream.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;
import org.junit.jupiter.api.Test;

class RandomResizedCropTest {

    private static final int[][] SHAPES = {{28, 28}, {640, 480}, {30, 400}};
    private static final RandomResizedCrop GLOBAL = new RandomResizedCrop(224, 0.4, 1.0);
    private static final RandomResizedCrop LOCAL = new RandomResizedCrop(96, 0.05, 0.4);

    @Test
    void sampledBoxLiesInsideTheImage() {
        for (int[] shape : SHAPES) {
            for (RandomResizedCrop crop : new RandomResizedCrop[] {GLOBAL, LOCAL}) {
                for (long seed = 0; seed < 2000; seed++) {
                    CropBox box = crop.sampleBox(shape[0], shape[1], new SeededRandom(seed));
                    assertTrue(
                            box.fitsIn(shape[0], shape[1]),
                            box + " in " + shape[0] + "x" + shape[1]);
                }
            }
        }
    }

    @Test
    void randomBoxHasAreaWithinScaleAndAspectWithinRatioUpToRounding() {
        for (int[] shape : SHAPES) {
            int width = shape[0];
            int height = shape[1];
            double area = (double) width * height;
            check(LOCAL, width, height, area, 0.05, 0.4);
            check(GLOBAL, width, height, area, 0.4, 1.0);
        }
    }

    private static void check(
            RandomResizedCrop crop, int width, int height, double area, double sMin, double sMax) {
        CropBox fallback = crop.centerCrop(width, height);
        for (long seed = 0; seed < 2000; seed++) {
            CropBox box = crop.sampleBox(width, height, new SeededRandom(seed));
            if (box.equals(fallback)) {
                continue;
            }
            // w and h are each rounded to the nearest integer, so the sampled (real) w and h lie
            // within 0.5 of them.
            double w = box.width();
            double h = box.height();
            String where = box + " in " + width + "x" + height;
            assertTrue((w + 0.5) * (h + 0.5) >= sMin * area, "area too small: " + where);
            assertTrue((w - 0.5) * (h - 0.5) <= sMax * area, "area too large: " + where);
            assertTrue((w + 0.5) / (h - 0.5) >= 3.0 / 4.0, "too tall: " + where);
            assertTrue((w - 0.5) / (h + 0.5) <= 4.0 / 3.0, "too wide: " + where);
        }
    }

    @Test
    void boxesAreSpreadOverTheImage() {
        int left = Integer.MAX_VALUE;
        int right = 0;
        for (long seed = 0; seed < 500; seed++) {
            CropBox box = LOCAL.sampleBox(640, 480, new SeededRandom(seed));
            left = Math.min(left, box.x());
            right = Math.max(right, box.x() + box.width());
        }
        assertTrue(left < 20 && right > 620, "x range " + left + ".." + right);
    }

    @Test
    void tooWideImageFallsBackToCenteredCropOfMaximalRatio() {
        RandomResizedCrop crop = new RandomResizedCrop(224, 0.9, 1.0);
        // No box of 90% of the area fits 10 rows at ratio <= 4/3: h = 10, w = round(10 * 4/3).
        CropBox box = crop.sampleBox(1000, 10, new SeededRandom(7));
        assertEquals(new CropBox((1000 - 13) / 2, 0, 13, 10), box);
    }

    @Test
    void tooTallImageFallsBackToCenteredCropOfMinimalRatio() {
        RandomResizedCrop crop = new RandomResizedCrop(224, 0.9, 1.0);
        CropBox box = crop.sampleBox(10, 1000, new SeededRandom(7));
        assertEquals(new CropBox(0, (1000 - 13) / 2, 10, 13), box);
    }

    @Test
    void fallbackForImageWithinRatioRangeIsWholeImage() {
        assertEquals(new CropBox(0, 0, 640, 480), GLOBAL.centerCrop(640, 480));
    }

    @Test
    void outputIsSizeBySize() {
        for (int[] shape : SHAPES) {
            RgbImage image = TestImages.pattern(shape[0], shape[1]);
            RgbImage out = LOCAL.apply(image, new SeededRandom(3));
            assertEquals(96, out.width());
            assertEquals(96, out.height());
        }
    }

    @Test
    void sameSeedGivesSameBox() {
        assertEquals(
                GLOBAL.sampleBox(640, 480, new SeededRandom(42)),
                GLOBAL.sampleBox(640, 480, new SeededRandom(42)));
    }

    @Test
    void outputIsTheResizedSampledBox() {
        RgbImage image = TestImages.pattern(64, 48);
        CropBox box = LOCAL.sampleBox(64, 48, new SeededRandom(5));
        assertEquals(
                BicubicResize.resizeCrop(image, box, 96, 96),
                LOCAL.apply(image, new SeededRandom(5)));
    }

    @Test
    void rejectsInvalidScaleAndRatio() {
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(0, 0.4, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(224, 0, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(224, 0.5, 0.4));
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(224, 0.4, 1.5));
        assertThrows(
                IllegalArgumentException.class, () -> new RandomResizedCrop(224, 0.4, 1, 2, 1));
    }
}
