package io.dinostream.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dinostream.features.Features;
import io.dinostream.types.RgbImage;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RawPixelBaselineTest {

    private static RgbImage uniform(int side, int r, int g, int b) {
        byte[] rgb = new byte[side * side * 3];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = (byte) r;
            rgb[i + 1] = (byte) g;
            rgb[i + 2] = (byte) b;
        }
        return new RgbImage(side, side, rgb);
    }

    @Test
    void imagesBecomeResizedRgbRowsInTheUnitRange() {
        Features f = RawPixelBaseline.fromImages(
                List.of(uniform(6, 255, 0, 51), new RgbImage(1, 1, new byte[] {0, (byte) 128, (byte) 255})),
                List.of("red", "blue"), 2);

        assertEquals(2, f.size());
        assertEquals(2 * 2 * 3, f.dim());
        float[] red = new float[12];
        float[] blue = new float[12];
        for (int p = 0; p < 4; p++) {
            red[p * 3] = 1f;
            red[p * 3 + 2] = 51 / 255f;
            blue[p * 3 + 1] = 128 / 255f;
            blue[p * 3 + 2] = 1f;
        }
        assertArrayEquals(red, f.row(0)); // a uniform image stays uniform under bicubic resizing
        assertArrayEquals(blue, f.row(1));
        assertEquals(List.of("red", "blue"), f.labels());
    }

    @Test
    void anImageAlreadyOfTheSizeIsTakenAsIs() {
        byte[] rgb = new byte[2 * 2 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 20);
        }
        Features f = RawPixelBaseline.fromImages(List.of(new RgbImage(2, 2, rgb)), List.of("x"), 2);

        float[] expected = new float[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            expected[i] = (i * 20) / 255f;
        }
        assertArrayEquals(expected, f.row(0));
    }

    @Test
    void mismatchedLabelsAreRefused() {
        List<RgbImage> images = Arrays.asList(uniform(2, 0, 0, 0), uniform(2, 1, 1, 1));

        assertEquals("2 images need 2 labels, got 1",
                assertThrows(IllegalArgumentException.class,
                        () -> RawPixelBaseline.fromImages(images, List.of("a"), 2)).getMessage());
    }
}
