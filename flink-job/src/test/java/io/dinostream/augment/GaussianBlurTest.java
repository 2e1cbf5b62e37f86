package io.dinostream.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;
import org.junit.jupiter.api.Test;

class GaussianBlurTest {

    @Test
    void constantImageIsUnchanged() {
        RgbImage image = TestImages.constant(30, 20, 17, 128, 240);
        assertEquals(image, GaussianBlur.blur(image, 2.0));
    }

    @Test
    void blurLowersTheVarianceOfNoise() {
        RgbImage noise = TestImages.noise(64, 64, 1, 0, 255);
        double before = TestImages.variance(noise);
        double after = TestImages.variance(GaussianBlur.blur(noise, 1.5));
        // Independent noise: a Gaussian of sigma 1.5 keeps about 1 / (4 pi sigma^2) = 3.5% of it.
        assertTrue(after < 0.1 * before, "variance " + before + " -> " + after);
    }

    @Test
    void blurKeepsTheMeanOfNoise() {
        RgbImage noise = TestImages.noise(64, 64, 2, 0, 255);
        assertEquals(TestImages.mean(noise), TestImages.mean(GaussianBlur.blur(noise, 2.0)), 1.0);
    }

    @Test
    void smallestSigmaLeavesImageUnchanged() {
        RgbImage noise = TestImages.noise(32, 32, 3, 0, 255);
        assertEquals(noise, GaussianBlur.blur(noise, GaussianBlur.DEFAULT_SIGMA_MIN));
    }

    @Test
    void probabilityOneAlwaysBlurs() {
        RgbImage noise = TestImages.noise(16, 16, 4, 0, 255);
        GaussianBlur always = new GaussianBlur(1.0, 1.0, 1.0);
        assertEquals(GaussianBlur.blur(noise, 1.0), always.apply(noise, new SeededRandom(5)));
    }

    @Test
    void probabilityZeroAlmostNeverBlurs() {
        // DINO tests random() <= p: p = 0 blurs only on an exact 0.0 draw.
        RgbImage noise = TestImages.noise(8, 8, 5, 0, 255);
        for (long seed = 0; seed < 50; seed++) {
            assertSame(noise, new GaussianBlur(0).apply(noise, new SeededRandom(seed)));
        }
    }

    @Test
    void randomSigmaDependsOnTheSeed() {
        RgbImage noise = TestImages.noise(16, 16, 6, 0, 255);
        GaussianBlur blur = new GaussianBlur(1.0);
        assertNotEquals(
                blur.apply(noise, new SeededRandom(1)), blur.apply(noise, new SeededRandom(2)));
    }

    @Test
    void rejectsNonPositiveSigma() {
        RgbImage image = TestImages.constant(2, 2, 0, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> GaussianBlur.blur(image, 0));
        assertThrows(IllegalArgumentException.class, () -> new GaussianBlur(0.5, 0, 2));
    }
}
