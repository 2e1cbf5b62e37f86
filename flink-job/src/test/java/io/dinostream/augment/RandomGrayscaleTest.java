package io.dinostream.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;
import org.junit.jupiter.api.Test;

class RandomGrayscaleTest {

    @Test
    void grayscaleGivesThreeEqualChannels() {
        RgbImage gray = RandomGrayscale.toGrayscale(TestImages.noise(16, 9, 1, 0, 255));
        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 16; x++) {
                assertEquals(gray.get(x, y, 0), gray.get(x, y, 1));
                assertEquals(gray.get(x, y, 0), gray.get(x, y, 2));
            }
        }
    }

    @Test
    void lumaMatchesPilOnKnownPixels() {
        // PIL's convert("L"): 0.587 × 255 = 149.7 rounds to 150, not 149.
        assertEquals(76, RandomGrayscale.luma(255, 0, 0));
        assertEquals(150, RandomGrayscale.luma(0, 255, 0));
        assertEquals(29, RandomGrayscale.luma(0, 0, 255));
        assertEquals(255, RandomGrayscale.luma(255, 255, 255));
        assertEquals(128, RandomGrayscale.luma(128, 128, 128));
        assertEquals(18, RandomGrayscale.luma(10, 20, 30));
        assertEquals(124, RandomGrayscale.luma(200, 100, 50));
    }

    @Test
    void grayscaleValueIsLumaOfThePixel() {
        RgbImage gray = RandomGrayscale.toGrayscale(TestImages.constant(2, 2, 200, 100, 50));
        assertEquals(TestImages.constant(2, 2, 124, 124, 124), gray);
    }

    @Test
    void probabilityZeroNeverConverts() {
        RgbImage image = TestImages.noise(4, 4, 2, 0, 255);
        RandomGrayscale never = new RandomGrayscale(0);
        for (long seed = 0; seed < 50; seed++) {
            assertSame(image, never.apply(image, new SeededRandom(seed)));
        }
    }

    @Test
    void probabilityOneAlwaysConverts() {
        RgbImage image = TestImages.noise(4, 4, 3, 0, 255);
        assertEquals(
                RandomGrayscale.toGrayscale(image),
                new RandomGrayscale(1).apply(image, new SeededRandom(4)));
    }
}
