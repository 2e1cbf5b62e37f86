package io.dinostream.augment;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

/**
 * A random crop of random area and aspect ratio, resized to size × size with bicubic
 * interpolation: torchvision's {@code transforms.RandomResizedCrop(size, scale, ratio,
 * interpolation=BICUBIC)} on a PIL image, as DINO uses it for every view.
 *
 * <p>The box is drawn as in {@code RandomResizedCrop.get_params} (see {@link #sampleBox}); the
 * crop is then resized as {@code F.resized_crop} does on PIL images, i.e. {@code
 * img.crop(box).resize((size, size), BICUBIC)} (see {@link BicubicResize#resizeCrop}).
 */
public final class RandomResizedCrop {

    /** torchvision's default aspect-ratio range, (3/4, 4/3). */
    public static final double DEFAULT_RATIO_MIN = 3.0 / 4.0;

    public static final double DEFAULT_RATIO_MAX = 4.0 / 3.0;

    /** get_params gives up on random boxes after this many tries and takes a centre crop. */
    private static final int ATTEMPTS = 10;

    private final int size;
    private final double scaleMin;
    private final double scaleMax;
    private final double logRatioMin;
    private final double logRatioMax;
    private final double ratioMin;
    private final double ratioMax;

    /** A crop with torchvision's default aspect-ratio range (3/4, 4/3). */
    public RandomResizedCrop(int size, double scaleMin, double scaleMax) {
        this(size, scaleMin, scaleMax, DEFAULT_RATIO_MIN, DEFAULT_RATIO_MAX);
    }

    /**
     * @param size side of the square output, pixels
     * @param scaleMin smallest crop area, as a fraction of the image area
     * @param scaleMax largest crop area, as a fraction of the image area
     * @param ratioMin smallest width / height of the crop
     * @param ratioMax largest width / height of the crop
     */
    public RandomResizedCrop(
            int size, double scaleMin, double scaleMax, double ratioMin, double ratioMax) {
        if (size <= 0) {
            throw new IllegalArgumentException("crop size must be positive, got " + size);
        }
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
            throw new IllegalArgumentException(
                    "scale must satisfy 0 < scaleMin <= scaleMax <= 1, got ("
                            + scaleMin
                            + ", "
                            + scaleMax
                            + ")");
        }
        if (!(ratioMin > 0 && ratioMin <= ratioMax)) {
            throw new IllegalArgumentException(
                    "ratio must satisfy 0 < ratioMin <= ratioMax, got ("
                            + ratioMin
                            + ", "
                            + ratioMax
                            + ")");
        }
        this.size = size;
        this.scaleMin = scaleMin;
        this.scaleMax = scaleMax;
        this.ratioMin = ratioMin;
        this.ratioMax = ratioMax;
        this.logRatioMin = Math.log(ratioMin);
        this.logRatioMax = Math.log(ratioMax);
    }

    /** Side of the square output, pixels. */
    public int size() {
        return size;
    }

    /** A random crop of the image, resized to {@link #size()} × {@link #size()}. */
    public RgbImage apply(RgbImage image, SeededRandom rng) {
        CropBox box = sampleBox(image.width(), image.height(), rng);
        return BicubicResize.resizeCrop(image, box, size, size);
    }

    /**
     * torchvision's {@code RandomResizedCrop.get_params}: up to ten tries of area = U(scale) ×
     * image area and aspect = exp(U(log ratio)), with w and h rounded as Python's round (half to
     * even); the first box that fits is placed uniformly at random. If none fits, the centre crop
     * of {@link #centerCrop}.
     */
    public CropBox sampleBox(int width, int height, SeededRandom rng) {
        double area = (double) width * height;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double targetArea = area * rng.uniform(scaleMin, scaleMax);
            double aspect = Math.exp(rng.uniform(logRatioMin, logRatioMax));
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (0 < w && w <= width && 0 < h && h <= height) {
                // torch.randint(0, height - h + 1) then torch.randint(0, width - w + 1).
                int top = rng.nextInt(height - h + 1);
                int left = rng.nextInt(width - w + 1);
                return new CropBox(left, top, w, h);
            }
        }
        return centerCrop(width, height);
    }

    /**
     * get_params' fallback: the largest centred box whose aspect ratio is clamped into the ratio
     * range (the whole image when its own ratio is inside it).
     */
    public CropBox centerCrop(int width, int height) {
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < ratioMin) {
            w = width;
            h = (int) Math.rint(w / ratioMin);
        } else if (inRatio > ratioMax) {
            h = height;
            w = (int) Math.rint(h * ratioMax);
        } else {
            w = width;
            h = height;
        }
        return new CropBox((width - w) / 2, (height - h) / 2, w, h);
    }
}
