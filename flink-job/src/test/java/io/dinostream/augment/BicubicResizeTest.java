package io.dinostream.augment;

import io.dinostream.types.RgbImage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BicubicResizeTest {

    @Test
    void constantImageStaysConstant() {
        RgbImage image = TestImages.constant(37, 23, 10, 128, 250);
        for (int[] size : new int[][] {{5, 7}, {37, 23}, {100, 61}, {1, 1}}) {
            RgbImage out = BicubicResize.resize(image, size[0], size[1]);
            assertEquals(TestImages.constant(size[0], size[1], 10, 128, 250), out);
        }
    }

    @Test
    void sameSizeWithFullBoxIsIdentity() {
        RgbImage image = TestImages.noise(31, 17, 1, 0, 255);
        assertEquals(image, BicubicResize.resize(image, 31, 17));
    }

    /** Pillow's test_passthrough: an integer box of the output's size is an exact crop. */
    @Test
    void integerBoxOfOutputSizeIsExactCrop() {
        RgbImage image = TestImages.noise(60, 80, 2, 0, 255);
        RgbImage out = BicubicResize.resize(image, 10, 20, 50, 70, 40, 50);
        assertEquals(TestImages.crop(image, 10, 20, 40, 50), out);
    }

    @Test
    void horizontalGradientStaysMonotonic() {
        RgbImage gradient = TestImages.of(200, 10, (x, y, c) -> x * 255 / 199);
        for (int outWidth : new int[] {13, 50, 199, 450}) {
            RgbImage out = BicubicResize.resize(gradient, outWidth, 7);
            for (int y = 0; y < out.height(); y++) {
                for (int x = 1; x < outWidth; x++) {
                    assertTrue(
                            out.get(x, y, 0) >= out.get(x - 1, y, 0),
                            "width " + outWidth + " at x=" + x);
                }
            }
        }
    }

    @Test
    void downscalingCheckerboardByFourGivesMidGray() {
        RgbImage checkerboard = TestImages.of(64, 64, (x, y, c) -> (x + y) % 2 == 0 ? 0 : 255);
        RgbImage out = BicubicResize.resize(checkerboard, 16, 16);
        for (byte b : out.toBytes()) {
            int v = b & 0xFF;
            assertTrue(v >= 120 && v <= 135, "antialiased value " + v);
        }
    }

    /** Pillow Tests/test_image_resample.py, TestImagingCoreResampleAccuracy.test_reduce_bicubic */
    @Test
    void matchesPillowReferenceWhenReducing() {
        RgbImage out = BicubicResize.resize(pillowCase(12, 0xE1), 6, 6);
        int[] quarter = {
            0xe1, 0xe3, 0xd4,
            0xe3, 0xe5, 0xd6,
            0xd4, 0xd6, 0xc9
        };
        assertEquals(pillowSample(6, quarter), out);
    }

    /** Pillow Tests/test_image_resample.py, TestImagingCoreResampleAccuracy.test_enlarge_bicubic */
    @Test
    void matchesPillowReferenceWhenEnlarging() {
        RgbImage out = BicubicResize.resize(pillowCase(4, 0xE1), 8, 8);
        int[] quarter = {
            0xe1, 0xe5, 0xee, 0xb9,
            0xe5, 0xe9, 0xf3, 0xbc,
            0xee, 0xf3, 0xfd, 0xc1,
            0xb9, 0xbc, 0xc1, 0xa2
        };
        assertEquals(pillowSample(8, quarter), out);
    }

    /** Pillow TestCoreResampleCoefficients.test_reduce: a huge reduction keeps its precision. */
    @Test
    void hugeReductionOfHalfBrightRowGivesHalfInTheMiddle() {
        int width = 400_000;
        RgbImage row = TestImages.of(width, 1, (x, y, c) -> x < width / 2 ? 254 : 0);
        RgbImage out = BicubicResize.resize(row, 5, 1);
        assertEquals(127, out.get(2, 0, 0));
    }

    /** Pillow TestCoreResampleCoefficients.test_nonzero_coefficients. */
    @Test
    void reducingConstantImageByFiveKeepsEveryPixel() {
        RgbImage image = TestImages.constant(1280, 1280, 0x20, 0x40, 0x60);
        assertEquals(
                TestImages.constant(256, 256, 0x20, 0x40, 0x60),
                BicubicResize.resize(image, 256, 256));
    }

    @Test
    void resizeCropEqualsResizeOfCroppedCopy() {
        RgbImage image = TestImages.noise(90, 70, 3, 0, 255);
        CropBox box = new CropBox(13, 9, 41, 37);
        for (int size : new int[] {16, 41, 96}) {
            assertEquals(
                    BicubicResize.resize(TestImages.crop(image, 13, 9, 41, 37), size, size),
                    BicubicResize.resizeCrop(image, box, size, size));
        }
    }

    /** With a box, the kernel reads past the box edge (as Pillow), so borders differ a little. */
    @Test
    void boxResizeIsCloseToCropThenResize() {
        RgbImage image = TestImages.pattern(90, 70);
        RgbImage withBox = BicubicResize.resize(image, 10, 10, 60, 50, 23, 17);
        RgbImage cropped = BicubicResize.resizeCrop(image, new CropBox(10, 10, 50, 40), 23, 17);
        byte[] a = withBox.toBytes();
        byte[] b = cropped.toBytes();
        double totalDifference = 0;
        for (int i = 0; i < a.length; i++) {
            totalDifference += Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
        }
        double meanDifference = totalDifference / a.length;
        assertTrue(meanDifference < 2.0, "mean difference " + meanDifference);
    }

    @Test
    void fractionalBoxOnConstantImageStaysConstant() {
        RgbImage image = TestImages.constant(40, 30, 3, 99, 201);
        RgbImage out = BicubicResize.resize(image, 0.4, 10.4, 20.7, 29.9, 25, 33);
        assertEquals(TestImages.constant(25, 33, 3, 99, 201), out);
    }

    @Test
    void rejectsBoxOutsideImageOrEmpty() {
        RgbImage image = TestImages.constant(10, 10, 0, 0, 0);
        Class<IllegalArgumentException> bad = IllegalArgumentException.class;
        assertThrows(bad, () -> BicubicResize.resize(image, -1, 0, 5, 5, 4, 4));
        assertThrows(bad, () -> BicubicResize.resize(image, 0, 0, 11, 5, 4, 4));
        assertThrows(bad, () -> BicubicResize.resize(image, 5.1, 0, 5, 5, 4, 4));
        assertThrows(bad, () -> BicubicResize.resize(image, 0, 4));
        assertThrows(
                IllegalArgumentException.class,
                () -> BicubicResize.resizeCrop(image, new CropBox(5, 5, 6, 5), 4, 4));
    }

    /** Pillow's make_case: a square with bright top-left and bottom-right quarters. */
    private static RgbImage pillowCase(int size, int color) {
        return TestImages.of(
                size,
                size,
                (x, y, c) -> (x < size / 2) == (y < size / 2) ? color : 255 - color);
    }

    /** Pillow's make_sample: the top-left quarter given, the rest by its symmetries. */
    private static RgbImage pillowSample(int size, int[] quarter) {
        int half = size / 2;
        return TestImages.of(
                size,
                size,
                (x, y, c) -> {
                    int qx = x < half ? x : size - 1 - x;
                    int qy = y < half ? y : size - 1 - y;
                    int v = quarter[qy * half + qx];
                    return (x < half) == (y < half) ? v : 255 - v;
                });
    }
}
