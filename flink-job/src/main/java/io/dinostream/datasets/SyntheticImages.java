package io.dinostream.datasets;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

/**
 * Procedurally drawn images in up to ten classes of shape and texture (disc, square, triangle,
 * ring, horizontal, vertical and diagonal stripes, checkerboard, cross, dot grid), each with a
 * random colour, position, size and a noisy background. Colour carries no class information (as
 * DINO's colour jitter teaches), shape and texture do, so k-NN on good features separates them.
 * Deterministic: the same seed gives the same sequence of images.
 */
public final class SyntheticImages {

    public static final String[] CLASS_NAMES = {
        "disc", "square", "triangle", "ring", "h-stripes", "v-stripes", "d-stripes", "checker", "cross",
        "dots"
    };

    private final int size;
    private final int classes;
    private final SeededRandom random;

    /** A labelled image. */
    public record Labeled(RgbImage image, int label) {}

    public SyntheticImages(int size, int classes, long seed) {
        if (size < 8) {
            throw new IllegalArgumentException("synthetic images need at least 8 px, got " + size);
        }
        if (classes < 2 || classes > CLASS_NAMES.length) {
            throw new IllegalArgumentException(
                    "synthetic classes must be 2.." + CLASS_NAMES.length + ", got " + classes);
        }
        this.size = size;
        this.classes = classes;
        this.random = new SeededRandom(seed);
    }

    public int classes() {
        return classes;
    }

    /** The next image, its class drawn uniformly. */
    public Labeled next() {
        int label = random.nextInt(classes);
        return new Labeled(draw(label, random), label);
    }

    /** Draws one image of class {@code label}. */
    public RgbImage draw(int label, SeededRandom r) {
        int[] bg = {r.nextInt(256), r.nextInt(256), r.nextInt(256)};
        int[] fg = contrasting(bg, r);
        double cx = size * r.uniform(0.35, 0.65);
        double cy = size * r.uniform(0.35, 0.65);
        double radius = size * r.uniform(0.22, 0.38);
        double period = size * r.uniform(0.12, 0.22);
        byte[] px = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean on = inside(label, x + 0.5 - cx, y + 0.5 - cy, radius, period, x, y);
                int[] c = on ? fg : bg;
                for (int ch = 0; ch < 3; ch++) {
                    int v = c[ch] + (int) Math.round(12 * r.nextGaussian());
                    px[(y * size + x) * 3 + ch] = (byte) Math.max(0, Math.min(255, v));
                }
            }
        }
        return new RgbImage(size, size, px);
    }

    private static boolean inside(int label, double dx, double dy, double radius, double period, int x, int y) {
        double dist = Math.hypot(dx, dy);
        return switch (label) {
            case 0 -> dist <= radius;
            case 1 -> Math.abs(dx) <= radius * 0.85 && Math.abs(dy) <= radius * 0.85;
            case 2 -> dy <= radius * 0.8 && dy >= -radius && Math.abs(dx) <= (dy + radius) * 0.6;
            case 3 -> dist <= radius && dist >= radius * 0.6;
            case 4 -> Math.floorMod((int) Math.floor(y / (period / 2)), 2) == 0;
            case 5 -> Math.floorMod((int) Math.floor(x / (period / 2)), 2) == 0;
            case 6 -> Math.floorMod((int) Math.floor((x + y) / period), 2) == 0;
            case 7 -> (Math.floorMod((int) Math.floor(x / period), 2) + Math.floorMod((int) Math.floor(y / period), 2)) % 2 == 0;
            case 8 -> (Math.abs(dx) <= radius * 0.22 || Math.abs(dy) <= radius * 0.22) && dist <= radius * 1.2;
            default -> Math.hypot(Math.floorMod(x, (int) Math.ceil(period)) - period / 2,
                    Math.floorMod(y, (int) Math.ceil(period)) - period / 2) <= period * 0.3;
        };
    }

    private static int[] contrasting(int[] bg, SeededRandom r) {
        while (true) {
            int[] c = {r.nextInt(256), r.nextInt(256), r.nextInt(256)};
            int d = Math.abs(c[0] - bg[0]) + Math.abs(c[1] - bg[1]) + Math.abs(c[2] - bg[2]);
            if (d > 200) {
                return c;
            }
        }
    }
}
