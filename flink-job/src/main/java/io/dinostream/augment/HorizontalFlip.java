package io.dinostream.augment;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

/**
 * Mirrors the image left to right with probability p: torchvision's {@code
 * transforms.RandomHorizontalFlip(p)} ({@code if torch.rand(1) < p: F.hflip(img)}), p = 0.5 in
 * DINO.
 */
public final class HorizontalFlip {

    private final double p;

    public HorizontalFlip(double p) {
        this.p = Probability.check(p, "flip probability");
    }

    public RgbImage apply(RgbImage image, SeededRandom rng) {
        return rng.nextDouble() < p ? flip(image) : image;
    }

    /** Pixel (x, y) moves to (width - 1 - x, y), as PIL's {@code transpose(FLIP_LEFT_RIGHT)}. */
    public static RgbImage flip(RgbImage image) {
        int w = image.width();
        int h = image.height();
        byte[] src = image.toBytes();
        byte[] out = new byte[src.length];
        for (int y = 0; y < h; y++) {
            int row = y * w * 3;
            for (int x = 0, from = row, to = row + (w - 1) * 3; x < w; x++, from += 3, to -= 3) {
                out[to] = src[from];
                out[to + 1] = src[from + 1];
                out[to + 2] = src[from + 2];
            }
        }
        return new RgbImage(w, h, out);
    }
}
