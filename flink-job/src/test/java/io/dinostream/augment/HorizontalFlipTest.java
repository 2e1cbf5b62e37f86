package io.dinostream.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;
import org.junit.jupiter.api.Test;

class HorizontalFlipTest {

    @Test
    void flippingTwiceIsIdentity() {
        RgbImage image = TestImages.noise(13, 7, 1, 0, 255);
        assertEquals(image, HorizontalFlip.flip(HorizontalFlip.flip(image)));
    }

    @Test
    void pixelMovesToMirroredColumnOfSameRow() {
        RgbImage image = TestImages.noise(13, 7, 2, 0, 255);
        RgbImage flipped = HorizontalFlip.flip(image);
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 13; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(image.get(x, y, c), flipped.get(13 - 1 - x, y, c));
                }
            }
        }
    }

    @Test
    void probabilityOneAlwaysFlipsAndZeroNever() {
        RgbImage image = TestImages.noise(5, 3, 3, 0, 255);
        assertEquals(
                HorizontalFlip.flip(image),
                new HorizontalFlip(1).apply(image, new SeededRandom(4)));
        assertSame(image, new HorizontalFlip(0).apply(image, new SeededRandom(4)));
    }

    @Test
    void halfProbabilityFlipsAboutHalfTheTime() {
        RgbImage image = TestImages.noise(5, 3, 5, 0, 255);
        HorizontalFlip flip = new HorizontalFlip(0.5);
        SeededRandom rng = new SeededRandom(6);
        int flipped = 0;
        for (int i = 0; i < 1000; i++) {
            if (flip.apply(image, rng) != image) {
                flipped++;
            }
        }
        assertEquals(500, flipped, 60);
    }
}
