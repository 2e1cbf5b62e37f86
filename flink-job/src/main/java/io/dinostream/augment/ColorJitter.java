package io.dinostream.augment;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

/**
 * Random brightness, contrast, saturation and hue changes in a random order: torchvision's {@code
 * transforms.ColorJitter(brightness, contrast, saturation, hue)} on a PIL image. DINO uses (0.4,
 * 0.4, 0.2, 0.1), see {@link #paper()}, applied with probability 0.8.
 *
 * <p>As ColorJitter.get_params: the order is a random permutation of the four ops (drawn first,
 * like {@code torch.randperm(4)}), then the factors are drawn in the fixed order brightness,
 * contrast, saturation, hue: brightness, contrast and saturation factors ~ U[max(0, 1 - v), 1 + v],
 * hue ~ U[-h, h]. An op of strength 0 is skipped and draws nothing, as torchvision sets it to None.
 *
 * <p>The deterministic ops reproduce PIL bit for bit: {@code ImageEnhance.Brightness}, {@code
 * Contrast} and {@code Color} are {@code Image.blend(degenerate, img, factor)}, computed by
 * libImaging/Blend.c in single precision as {@code in1 + factor * (in2 - in1)} and truncated toward
 * zero (values clipped to 0..255 first when factor is outside [0, 1]); hue goes through PIL's 8-bit
 * HSV (libImaging/Convert.c, rgb2hsv / hsv2rgb), as torchvision's {@code F.adjust_hue}.
 */
public final class ColorJitter {

    private static final int BRIGHTNESS = 0;
    private static final int CONTRAST = 1;
    private static final int SATURATION = 2;
    private static final int HUE = 3;

    private final double brightness;
    private final double contrast;
    private final double saturation;
    private final double hue;

    /**
     * @param brightness brightness factor range half-width, >= 0
     * @param contrast contrast factor range half-width, >= 0
     * @param saturation saturation factor range half-width, >= 0
     * @param hue hue shift range half-width, in [0, 0.5] (a fraction of the colour wheel)
     */
    public ColorJitter(double brightness, double contrast, double saturation, double hue) {
        this.brightness = nonNegative(brightness, "brightness");
        this.contrast = nonNegative(contrast, "contrast");
        this.saturation = nonNegative(saturation, "saturation");
        if (!(hue >= 0 && hue <= 0.5)) {
            throw new IllegalArgumentException("hue jitter must be in [0, 0.5], got " + hue);
        }
        this.hue = hue;
    }

    /** DINO's jitter: brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1. */
    public static ColorJitter paper() {
        return new ColorJitter(0.4, 0.4, 0.2, 0.1);
    }

    public RgbImage apply(RgbImage image, SeededRandom rng) {
        int[] order = rng.permutation(4);
        double brightnessFactor = brightness > 0 ? factor(brightness, rng) : 1;
        double contrastFactor = contrast > 0 ? factor(contrast, rng) : 1;
        double saturationFactor = saturation > 0 ? factor(saturation, rng) : 1;
        double hueShift = hue > 0 ? rng.uniform(-hue, hue) : 0;
        RgbImage out = image;
        for (int op : order) {
            if (op == BRIGHTNESS && brightness > 0) {
                out = adjustBrightness(out, brightnessFactor);
            } else if (op == CONTRAST && contrast > 0) {
                out = adjustContrast(out, contrastFactor);
            } else if (op == SATURATION && saturation > 0) {
                out = adjustSaturation(out, saturationFactor);
            } else if (op == HUE && hue > 0) {
                out = adjustHue(out, hueShift);
            }
        }
        return out;
    }

    /** PIL {@code ImageEnhance.Brightness(img).enhance(factor)}: a blend with black. */
    public static RgbImage adjustBrightness(RgbImage image, double factor) {
        return mapValues(image.toBytes(), blendTable(0, (float) factor), image);
    }

    /**
     * PIL {@code ImageEnhance.Contrast(img).enhance(factor)}: a blend with a uniform gray whose
     * value is the mean of the image's L version rounded as {@code int(mean + 0.5)}.
     */
    public static RgbImage adjustContrast(RgbImage image, double factor) {
        float alpha = (float) factor;
        byte[] px = image.toBytes();
        long sum = 0;
        for (int i = 0; i < px.length; i += 3) {
            sum += RandomGrayscale.luma(px[i] & 0xFF, px[i + 1] & 0xFF, px[i + 2] & 0xFF);
        }
        int gray = (int) ((double) sum / (px.length / 3) + 0.5);
        return mapValues(px, blendTable(gray, alpha), image);
    }

    /**
     * PIL {@code ImageEnhance.Color(img).enhance(factor)}: a blend of each pixel with its own L
     * value.
     */
    public static RgbImage adjustSaturation(RgbImage image, double factor) {
        float alpha = (float) factor;
        byte[] px = image.toBytes();
        for (int i = 0; i < px.length; i += 3) {
            int gray = RandomGrayscale.luma(px[i] & 0xFF, px[i + 1] & 0xFF, px[i + 2] & 0xFF);
            px[i] = blend(gray, px[i] & 0xFF, alpha);
            px[i + 1] = blend(gray, px[i + 1] & 0xFF, alpha);
            px[i + 2] = blend(gray, px[i + 2] & 0xFF, alpha);
        }
        return new RgbImage(image.width(), image.height(), px);
    }

    /**
     * torchvision {@code F.adjust_hue} on a PIL image: convert to PIL's 8-bit HSV, add {@code
     * uint8(hueShift * 255)} to H with uint8 wrap-around (the shift truncated toward zero, then
     * taken mod 256), convert back. Even a shift of 0 is not exactly the identity: PIL quantises H
     * and S to 8 bits, so the round trip moves some channels by a few levels.
     *
     * @param hueShift fraction of the colour wheel, in [-0.5, 0.5]
     */
    public static RgbImage adjustHue(RgbImage image, double hueShift) {
        if (!(hueShift >= -0.5 && hueShift <= 0.5)) {
            throw new IllegalArgumentException("hue shift must be in [-0.5, 0.5], got " + hueShift);
        }
        int shift = (int) (hueShift * 255) & 0xFF;
        byte[] px = image.toBytes();
        for (int i = 0; i < px.length; i += 3) {
            int hsv = rgbToHsv(px[i] & 0xFF, px[i + 1] & 0xFF, px[i + 2] & 0xFF);
            int h = ((hsv >> 16) + shift) & 0xFF;
            int rgb = hsvToRgb(h, (hsv >> 8) & 0xFF, hsv & 0xFF);
            px[i] = (byte) (rgb >> 16);
            px[i + 1] = (byte) (rgb >> 8);
            px[i + 2] = (byte) rgb;
        }
        return new RgbImage(image.width(), image.height(), px);
    }

    /** blend(in1, v, alpha) for every 8-bit v: the ops that blend with a constant are a lookup. */
    private static byte[] blendTable(int in1, float alpha) {
        byte[] table = new byte[256];
        for (int v = 0; v < 256; v++) {
            table[v] = blend(in1, v, alpha);
        }
        return table;
    }

    /** Every value of px replaced through table, as an image of the shape of like. */
    private static RgbImage mapValues(byte[] px, byte[] table, RgbImage like) {
        for (int i = 0; i < px.length; i++) {
            px[i] = table[px[i] & 0xFF];
        }
        return new RgbImage(like.width(), like.height(), px);
    }

    /**
     * PIL's rgb2hsv_row (libImaging/Convert.c), with its mix of float variables and double
     * arithmetic, so that every truncation lands where PIL's does. Returns H, S, V packed as
     * 0xHHSSVV.
     */
    private static int rgbToHsv(int r, int g, int b) {
        int maxc = Math.max(r, Math.max(g, b));
        int minc = Math.min(r, Math.min(g, b));
        if (minc == maxc) {
            return maxc;
        }
        float cr = maxc - minc;
        float s = cr / maxc;
        float rc = (maxc - r) / cr;
        float gc = (maxc - g) / cr;
        float bc = (maxc - b) / cr;
        float h;
        if (r == maxc) {
            h = bc - gc;
        } else if (g == maxc) {
            h = (float) (2.0 + rc - bc);
        } else {
            h = (float) (4.0 + gc - rc);
        }
        // PIL: fmod(h / 6.0 + 1.0, 1.0). h is in [-1, 5], so the argument is in [5/6, 11/6] and
        // fmod is one exact subtraction (Java's % on doubles would be a slow library call).
        double turns = h / 6.0 + 1.0;
        h = (float) (turns >= 1.0 ? turns - 1.0 : turns);
        int uh = clip8((int) (h * 255.0));
        int us = clip8((int) (s * 255.0));
        return uh << 16 | us << 8 | maxc;
    }

    /** hsv2rgb's i = floor(h * 6 / 255) for every 8-bit h (h * 6.0 / 255.0 is never negative). */
    private static final int[] SECTOR = new int[256];

    /** hsv2rgb's f = h * 6 / 255 - i, in single precision as PIL keeps it. */
    private static final float[] SECTOR_FRACTION = new float[256];

    /** hsv2rgb's fs = s / 255, in single precision. */
    private static final float[] SATURATION_FRACTION = new float[256];

    static {
        for (int x = 0; x < 256; x++) {
            double sector = (float) x * 6.0 / 255.0;
            SECTOR[x] = (int) Math.floor(sector);
            SECTOR_FRACTION[x] = (float) (sector - (float) SECTOR[x]);
            SATURATION_FRACTION[x] = (float) ((float) x / 255.0);
        }
    }

    /** The largest double below 0.5. */
    private static final double JUST_UNDER_HALF = 0x1.fffffffffffffp-2;

    /**
     * Math.round(x) for 0 <= x < 2^31, branch-free (Math.round's general case costs about as much
     * as the rest of hsv2rgb): adding the largest double below 0.5 rather than 0.5 keeps x just
     * under 0.5 from rounding up, and for every other x the sum lands on the same side of the
     * integer. ColorJitterTest checks it against Math.round on every product hsv2rgb rounds.
     */
    static int roundHalfUp(double x) {
        return (int) (x + JUST_UNDER_HALF);
    }

    /** PIL's hsv2rgb (libImaging/Convert.c). Returns R, G, B packed as 0xRRGGBB. */
    private static int hsvToRgb(int h, int s, int v) {
        if (s == 0) {
            return v << 16 | v << 8 | v;
        }
        int i = SECTOR[h];
        float f = SECTOR_FRACTION[h];
        float fs = SATURATION_FRACTION[s];
        // C's round() is half away from zero; the arguments are never negative, so rounding half
        // up agrees.
        int p = clip8(roundHalfUp((float) v * (1.0 - fs)));
        int q = clip8(roundHalfUp((float) v * (1.0 - fs * f)));
        int t = clip8(roundHalfUp((float) v * (1.0 - fs * (1.0 - f))));
        switch (i % 6) {
            case 0:
                return v << 16 | t << 8 | p;
            case 1:
                return q << 16 | v << 8 | p;
            case 2:
                return p << 16 | v << 8 | t;
            case 3:
                return p << 16 | q << 8 | v;
            case 4:
                return t << 16 | p << 8 | v;
            default:
                return v << 16 | p << 8 | q;
        }
    }

    /**
     * libImaging/Blend.c for one value: {@code in1 + alpha * (in2 - in1)} in float, truncated
     * toward zero; clipping only matters (and PIL only clips) when alpha is outside [0, 1].
     */
    private static byte blend(int in1, int in2, float alpha) {
        float v = in1 + alpha * (in2 - in1);
        if (v <= 0) {
            return 0;
        }
        return (byte) (v >= 255 ? 255 : (int) v);
    }

    private static int clip8(int v) {
        return v <= 0 ? 0 : Math.min(v, 255);
    }

    private static double factor(double strength, SeededRandom rng) {
        return rng.uniform(Math.max(0, 1 - strength), 1 + strength);
    }

    private static double nonNegative(double v, String name) {
        if (!(v >= 0)) {
            throw new IllegalArgumentException(name + " jitter must be >= 0, got " + v);
        }
        return v;
    }
}
