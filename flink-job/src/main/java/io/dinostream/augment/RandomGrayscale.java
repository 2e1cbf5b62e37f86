package io.dinostream.augment;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

/**
 * Converts to grayscale with probability p, keeping three channels: torchvision's {@code
 * transforms.RandomGrayscale(p)} on an RGB PIL image ({@code if torch.rand(1) < p:
 * img.convert("L")} stacked three times), p = 0.2 in DINO.
 */
public final class RandomGrayscale {

    private final double p;

    public RandomGrayscale(double p) {
        this.p = Probability.check(p, "grayscale probability");
    }

    public RgbImage apply(RgbImage image, SeededRandom rng) {
        return rng.nextDouble() < p ? toGrayscale(image) : image;
    }

    /** Every pixel becomes (L, L, L) with L = {@link #luma}. */
    public static RgbImage toGrayscale(RgbImage image) {
        byte[] px = image.toBytes();
        for (int i = 0; i < px.length; i += 3) {
            byte l = (byte) luma(px[i] & 0xFF, px[i + 1] & 0xFF, px[i + 2] & 0xFF);
            px[i] = l;
            px[i + 1] = l;
            px[i + 2] = l;
        }
        return new RgbImage(image.width(), image.height(), px);
    }

    /**
     * PIL's "RGB" to "L" conversion (libImaging/Convert.c, rgb2l): ITU-R 601-2 luma L = R ×
     * 299/1000 + G × 587/1000 + B × 114/1000, in 16-bit fixed point and rounded to nearest.
     */
    public static int luma(int r, int g, int b) {
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }
}
