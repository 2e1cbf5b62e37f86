package io.dinostream.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;
import org.junit.jupiter.api.Test;

class ColorJitterTest {

    /** Four pixels whose PIL results below were computed with Pillow 12.3.0. */
    private static final RgbImage FOUR_PIXELS =
            image(2, 2, 10, 20, 30, 200, 100, 50, 0, 0, 0, 255, 255, 255);

    @Test
    void brightnessFactorScalesTheMean() {
        RgbImage image = TestImages.noise(64, 64, 1, 20, 150);
        double before = TestImages.mean(image);
        double after = TestImages.mean(ColorJitter.adjustBrightness(image, 1.3));
        // Truncation lowers every value by 0.5 on average.
        assertEquals(1.3 * before - 0.5, after, 0.1);
    }

    @Test
    void brightnessFactorOneIsIdentity() {
        RgbImage image = TestImages.noise(20, 10, 2, 0, 255);
        assertEquals(image, ColorJitter.adjustBrightness(image, 1.0));
    }

    @Test
    void contrastFactorOneIsIdentity() {
        RgbImage image = TestImages.noise(20, 10, 3, 0, 255);
        assertEquals(image, ColorJitter.adjustContrast(image, 1.0));
    }

    @Test
    void saturationFactorOneIsIdentity() {
        RgbImage image = TestImages.noise(20, 10, 4, 0, 255);
        assertEquals(image, ColorJitter.adjustSaturation(image, 1.0));
    }

    @Test
    void blendTruncatesTowardZeroAndClipsLikePil() {
        RgbImage image = image(2, 1, 255, 3, 1, 200, 100, 0);
        assertEquals(
                image(2, 1, 127, 1, 0, 100, 50, 0), ColorJitter.adjustBrightness(image, 0.5));
        assertEquals(
                image(2, 1, 255, 6, 2, 255, 200, 0), ColorJitter.adjustBrightness(image, 2.0));
    }

    @Test
    void brightnessMatchesPil() {
        assertEquals(
                image(2, 2, 12, 24, 36, 240, 120, 60, 0, 0, 0, 255, 255, 255),
                ColorJitter.adjustBrightness(FOUR_PIXELS, 1.2));
    }

    @Test
    void contrastMatchesPil() {
        assertEquals(
                image(2, 2, 0, 0, 9, 230, 100, 35, 0, 0, 0, 255, 255, 255),
                ColorJitter.adjustContrast(FOUR_PIXELS, 1.3));
        assertEquals(
                image(2, 2, 45, 51, 57, 159, 99, 69, 39, 39, 39, 192, 192, 192),
                ColorJitter.adjustContrast(FOUR_PIXELS, 0.6));
    }

    @Test
    void saturationMatchesPil() {
        assertEquals(
                image(2, 2, 12, 19, 26, 177, 107, 72, 0, 0, 0, 255, 255, 255),
                ColorJitter.adjustSaturation(FOUR_PIXELS, 0.7));
        assertEquals(
                image(2, 2, 8, 20, 32, 215, 95, 35, 0, 0, 0, 255, 255, 255),
                ColorJitter.adjustSaturation(FOUR_PIXELS, 1.2));
    }

    @Test
    void contrastZeroGivesUniformImageAtRoundedGrayMean() {
        // L values 0 and 255 in equal numbers: mean 127.5, which PIL rounds up to 128.
        RgbImage image = TestImages.of(4, 4, (x, y, c) -> x % 2 == 0 ? 0 : 255);
        assertEquals(
                TestImages.constant(4, 4, 128, 128, 128), ColorJitter.adjustContrast(image, 0));
    }

    @Test
    void saturationZeroGivesEqualChannelsAtLuma() {
        RgbImage image = TestImages.noise(16, 16, 5, 0, 255);
        RgbImage gray = ColorJitter.adjustSaturation(image, 0);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                int l =
                        RandomGrayscale.luma(
                                image.get(x, y, 0), image.get(x, y, 1), image.get(x, y, 2));
                assertEquals(l, gray.get(x, y, 0));
                assertEquals(l, gray.get(x, y, 1));
                assertEquals(l, gray.get(x, y, 2));
            }
        }
    }

    /**
     * PIL's 8-bit HSV round trip is lossy (H and S are quantised to 8 bits), so a hue shift of 0
     * is the identity only up to a few levels: at most 7 over the whole RGB cube (checked against
     * Pillow), and exactly for grays.
     */
    @Test
    void hueShiftZeroIsIdentityUpToPilHsvRoundTrip() {
        // Every third level of every channel: 86^3 colours.
        RgbImage cube =
                TestImages.of(
                        86 * 86, 86, (x, y, c) -> 3 * (c == 0 ? x / 86 : c == 1 ? x % 86 : y));
        RgbImage out = ColorJitter.adjustHue(cube, 0);
        byte[] a = cube.toBytes();
        byte[] b = out.toBytes();
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)) <= 7, "channel value " + i);
        }
        RgbImage grays = TestImages.of(256, 1, (x, y, c) -> x);
        assertEquals(grays, ColorJitter.adjustHue(grays, 0));
    }

    @Test
    void hueShiftMatchesPilHsvArithmetic() {
        // Pillow 12.3.0 + torchvision's uint8 shift; (1, 7, 248) is where the round trip errs most.
        assertHue(1, 7, 248, 0.0, 2, 14, 248);
        assertHue(1, 7, 248, 0.1, 135, 2, 248);
        assertHue(1, 7, 248, -0.1, 2, 158, 248);
        assertHue(12, 200, 77, 0.0, 13, 200, 74);
        assertHue(12, 200, 77, -0.5, 200, 13, 132);
        assertHue(250, 3, 128, 0.1, 250, 16, 4);
        assertHue(255, 0, 0, -0.1, 255, 0, 144);
        assertHue(255, 0, 0, -0.5, 0, 246, 255);
    }

    @Test
    void hueHalfTurnsRedIntoCyan() {
        RgbImage red = TestImages.constant(3, 3, 255, 0, 0);
        assertEquals(TestImages.constant(3, 3, 0, 255, 252), ColorJitter.adjustHue(red, 0.5));
    }

    @Test
    void rejectsHueShiftOutsideHalfTurn() {
        RgbImage image = TestImages.constant(1, 1, 1, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> ColorJitter.adjustHue(image, 0.6));
    }

    @Test
    void zeroStrengthJitterLeavesImageAndGeneratorAlone() {
        RgbImage image = TestImages.noise(8, 8, 6, 0, 255);
        SeededRandom rng = new SeededRandom(9);
        SeededRandom reference = new SeededRandom(9);
        assertSame(image, new ColorJitter(0, 0, 0, 0).apply(image, rng));
        // Only the permutation was drawn.
        reference.permutation(4);
        assertEquals(reference.state(), rng.state());
    }

    @Test
    void sameSeedGivesSameJitter() {
        RgbImage image = TestImages.noise(16, 16, 7, 0, 255);
        assertEquals(
                ColorJitter.paper().apply(image, new SeededRandom(11)),
                ColorJitter.paper().apply(image, new SeededRandom(11)));
    }

    @Test
    void paperJitterChangesTheImage() {
        RgbImage image = TestImages.noise(16, 16, 8, 0, 255);
        assertNotEquals(image, ColorJitter.paper().apply(image, new SeededRandom(12)));
    }

    @Test
    void roundHalfUpIsMathRoundOnEveryProductHsvToRgbRounds() {
        // hsv2rgb rounds v * (1 - fs), v * (1 - fs * f) and v * (1 - fs * (1 - f)) for 8-bit h, s, v,
        // with PIL's float and double steps: all 3 * 2^24 of them must round as Math.round does.
        int mismatches = 0;
        for (int h = 0; h < 256; h++) {
            double sector = (float) h * 6.0 / 255.0;
            float f = (float) (sector - (float) Math.floor(sector));
            for (int s = 0; s < 256; s++) {
                float fs = (float) ((float) s / 255.0);
                double[] factors = {1.0 - fs, 1.0 - fs * f, 1.0 - fs * (1.0 - f)};
                for (int v = 0; v < 256; v++) {
                    for (double factor : factors) {
                        double x = (float) v * factor;
                        if (ColorJitter.roundHalfUp(x) != Math.round(x)) {
                            mismatches++;
                        }
                    }
                }
            }
        }
        assertEquals(0, mismatches);
        // The one double that adding 0.5 would round wrongly, and exact halves.
        assertEquals(0, ColorJitter.roundHalfUp(0x1.fffffffffffffp-2));
        assertEquals(1, ColorJitter.roundHalfUp(0.5));
        assertEquals(3, ColorJitter.roundHalfUp(2.5));
        assertEquals(254, ColorJitter.roundHalfUp(254.49999999999997));
    }

    @Test
    void rejectsNegativeStrengthsAndTooMuchHue() {
        assertThrows(IllegalArgumentException.class, () -> new ColorJitter(-0.1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ColorJitter(0, 0, 0, 0.6));
    }

    private static void assertHue(int r, int g, int b, double shift, int er, int eg, int eb) {
        RgbImage out = ColorJitter.adjustHue(TestImages.constant(1, 1, r, g, b), shift);
        assertArrayEquals(
                new byte[] {(byte) er, (byte) eg, (byte) eb},
                out.toBytes(),
                "(" + r + ", " + g + ", " + b + ") shifted by " + shift);
    }

    private static RgbImage image(int width, int height, int... rgb) {
        byte[] px = new byte[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            px[i] = (byte) rgb[i];
        }
        return new RgbImage(width, height, px);
    }
}
