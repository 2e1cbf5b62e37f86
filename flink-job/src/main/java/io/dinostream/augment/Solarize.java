package io.dinostream.augment;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

/**
 * Inverts the bright tones with probability p: DINO's {@code utils.Solarization(p)} ({@code if
 * random.random() < p: ImageOps.solarize(img)}), used on the second global view with p = 0.2.
 */
public final class Solarize {

    /** PIL's ImageOps.solarize default: values from 128 up are inverted. */
    public static final int DEFAULT_THRESHOLD = 128;

    private final double p;
    private final int threshold;

    public Solarize(double p) {
        this(p, DEFAULT_THRESHOLD);
    }

    public Solarize(double p, int threshold) {
        this.p = Probability.check(p, "solarize probability");
        if (threshold < 0 || threshold > 256) {
            throw new IllegalArgumentException(
                    "solarize threshold must be in [0, 256], got " + threshold);
        }
        this.threshold = threshold;
    }

    public RgbImage apply(RgbImage image, SeededRandom rng) {
        return rng.nextDouble() < p ? solarize(image, threshold) : image;
    }

    /** PIL {@code ImageOps.solarize(img, threshold)}: each value v >= threshold becomes 255 - v. */
    public static RgbImage solarize(RgbImage image, int threshold) {
        byte[] px = image.toBytes();
        for (int i = 0; i < px.length; i++) {
            int v = px[i] & 0xFF;
            if (v >= threshold) {
                px[i] = (byte) (255 - v);
            }
        }
        return new RgbImage(image.width(), image.height(), px);
    }
}
