package io.dinostream.augment;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

/** Small image factories and statistics shared by the augmentation tests. */
final class TestImages {

    /** Channel value of pixel (x, y). */
    @FunctionalInterface
    interface PixelFunction {
        int value(int x, int y, int c);
    }

    private TestImages() {}

    static RgbImage of(int width, int height, PixelFunction f) {
        byte[] px = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    px[(y * width + x) * 3 + c] = (byte) f.value(x, y, c);
                }
            }
        }
        return new RgbImage(width, height, px);
    }

    static RgbImage constant(int width, int height, int r, int g, int b) {
        int[] rgb = {r, g, b};
        return of(width, height, (x, y, c) -> rgb[c]);
    }

    /** Independent uniform values in [low, high] for every channel of every pixel. */
    static RgbImage noise(int width, int height, long seed, int low, int high) {
        SeededRandom rng = new SeededRandom(seed);
        return of(width, height, (x, y, c) -> low + rng.nextInt(high - low + 1));
    }

    /** A smooth, colourful image, so that crops of different places differ. */
    static RgbImage pattern(int width, int height) {
        return of(
                width,
                height,
                (x, y, c) ->
                        (int) (127.5 + 127.5 * Math.sin((x * (c + 1) + 2.0 * y) * 7.0 / width)));
    }

    static double mean(RgbImage image) {
        long sum = 0;
        for (byte b : image.toBytes()) {
            sum += b & 0xFF;
        }
        return (double) sum / image.byteSize();
    }

    static double variance(RgbImage image) {
        double mean = mean(image);
        double sum = 0;
        for (byte b : image.toBytes()) {
            double d = (b & 0xFF) - mean;
            sum += d * d;
        }
        return sum / image.byteSize();
    }

    /** The sub-image at (x0, y0) of the given size, copied. */
    static RgbImage crop(RgbImage image, int x0, int y0, int width, int height) {
        return of(width, height, (x, y, c) -> image.get(x0 + x, y0 + y, c));
    }
}
