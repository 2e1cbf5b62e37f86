package io.dinostream.augment;

import io.dinostream.types.RgbImage;

import java.util.Arrays;

/**
 * Bicubic resampling of 8-bit RGB images, bit-exact with Pillow's {@code Image.resize(size,
 * Image.BICUBIC, box)} (libImaging/Resample.c, {@code ImagingResample} with the {@code BICUBIC}
 * filter, a = -0.5).
 *
 * <p>As in Pillow: the filter is separable and runs as a horizontal pass then a vertical pass;
 * when shrinking, the kernel support is widened by the scale factor, which is what makes the
 * result antialiased; weights are normalised per output pixel, converted to 22-bit fixed point
 * and each pass rounds and clips to 8 bits; a pass whose axis needs no resampling is skipped, so
 * a same-size resize over the whole image is an exact copy.
 */
public final class BicubicResize {

    /** Pillow's bicubic filter reaches two source pixels either side at scale 1. */
    private static final double SUPPORT = 2.0;

    /** Pillow: 8 bits of result, 2 bits of headroom for the negative lobes, the rest fraction. */
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private BicubicResize() {}

    /** The whole image resized to outWidth × outHeight, as {@code img.resize(size, BICUBIC)}. */
    public static RgbImage resize(RgbImage src, int outWidth, int outHeight) {
        return resize(src, 0, 0, src.width(), src.height(), outWidth, outHeight);
    }

    /**
     * The region (left, top)–(right, bottom) of src, in (possibly fractional) pixel coordinates,
     * resized to outWidth × outHeight, as {@code img.resize(size, BICUBIC, box)}. Like Pillow, the
     * kernel may read source pixels outside the box (up to the image border), and the box
     * coordinates are rounded to single precision.
     */
    public static RgbImage resize(
            RgbImage src,
            double left,
            double top,
            double right,
            double bottom,
            int outWidth,
            int outHeight) {
        requirePositiveSize(outWidth, outHeight);
        // The same checks and messages as Pillow's _resize.
        if (left < 0 || top < 0) {
            throw new IllegalArgumentException(
                    "box offset can't be negative, got (" + left + ", " + top + ")");
        }
        if (right > src.width() || bottom > src.height()) {
            throw new IllegalArgumentException(
                    "box can't exceed original image size "
                            + src.width()
                            + "x"
                            + src.height()
                            + ", got right="
                            + right
                            + ", bottom="
                            + bottom);
        }
        if (right < left || bottom < top) {
            throw new IllegalArgumentException(
                    "box can't be empty, got (" + left + ", " + top + ", " + right + ", "
                            + bottom + ")");
        }
        return resample(
                src,
                new Window(0, 0, src.width(), src.height()),
                (float) left,
                (float) top,
                (float) right,
                (float) bottom,
                outWidth,
                outHeight);
    }

    /**
     * The crop resized to outWidth × outHeight, as torchvision's {@code F.resized_crop} on a PIL
     * image: {@code img.crop(box).resize(size, BICUBIC)}. Unlike {@link #resize(RgbImage, double,
     * double, double, double, int, int)}, no pixel outside the crop contributes, and the crop is
     * read in place rather than copied.
     */
    public static RgbImage resizeCrop(RgbImage src, CropBox crop, int outWidth, int outHeight) {
        requirePositiveSize(outWidth, outHeight);
        if (!crop.fitsIn(src.width(), src.height())) {
            throw new IllegalArgumentException(
                    crop + " does not fit in a " + src.width() + "x" + src.height() + " image");
        }
        Window window = new Window(crop.x(), crop.y(), crop.width(), crop.height());
        return resample(
                src, window, 0f, 0f, crop.width(), crop.height(), outWidth, outHeight);
    }

    /**
     * Pillow's ImagingResampleInner on the sub-image {@code window} of src; the box is relative to
     * the window.
     */
    private static RgbImage resample(
            RgbImage src,
            Window window,
            float x0,
            float y0,
            float x1,
            float y1,
            int outWidth,
            int outHeight) {
        boolean needHorizontal = outWidth != window.width() || x0 != 0 || x1 != window.width();
        boolean needVertical = outHeight != window.height() || y0 != 0 || y1 != window.height();

        Coefficients vertical = Coefficients.bicubic(window.height(), y0, y1, outHeight);
        // Only the source rows some output row reads go through the horizontal pass.
        int firstRow = vertical.first();
        int rowCount = vertical.end() - firstRow;

        byte[] rows;
        int rowWidth;
        if (needHorizontal) {
            Coefficients horizontal = Coefficients.bicubic(window.width(), x0, x1, outWidth);
            rows = horizontalPass(src, window, firstRow, rowCount, horizontal);
            rowWidth = outWidth;
        } else {
            rows = copyRows(src, window, firstRow, rowCount);
            rowWidth = window.width();
        }
        if (!needVertical) {
            // Then firstRow == 0 and rowCount == window.height().
            return new RgbImage(rowWidth, rowCount, rows);
        }
        return new RgbImage(
                rowWidth, outHeight, verticalPass(rows, rowWidth, firstRow, vertical));
    }

    private static byte[] horizontalPass(
            RgbImage src, Window window, int firstRow, int rowCount, Coefficients c) {
        int outWidth = c.outSize;
        int firstCol = c.first();
        int used = c.end() - firstCol;
        byte[] bytes = new byte[used * 3];
        int[] line = new int[used * 3];
        byte[] out = new byte[outWidth * rowCount * 3];
        int o = 0;
        for (int r = 0; r < rowCount; r++) {
            int y = window.y() + firstRow + r;
            // Unpack the used part of the source row once: output pixels read it ~ksize times.
            src.copyRow(window.x() + firstCol, y, used, bytes, 0);
            for (int i = 0; i < bytes.length; i++) {
                line[i] = bytes[i] & 0xFF;
            }
            for (int xx = 0; xx < outWidth; xx++) {
                int ss0 = HALF;
                int ss1 = HALF;
                int ss2 = HALF;
                int p = (c.min[xx] - firstCol) * 3;
                int kBase = xx * c.ksize;
                for (int t = 0; t < c.count[xx]; t++, p += 3) {
                    int k = c.weights[kBase + t];
                    ss0 += line[p] * k;
                    ss1 += line[p + 1] * k;
                    ss2 += line[p + 2] * k;
                }
                out[o++] = (byte) clip8(ss0);
                out[o++] = (byte) clip8(ss1);
                out[o++] = (byte) clip8(ss2);
            }
        }
        return out;
    }

    private static byte[] verticalPass(byte[] rows, int rowWidth, int firstRow, Coefficients c) {
        int stride = rowWidth * 3;
        // Widened once to int rows of their own: C2 (JDK 17) leaves a multiply-add scalar when it
        // reads bytes or an offset into a shared array, and uses SIMD on two int rows from 0.
        int[][] wide = new int[rows.length / stride][stride];
        for (int r = 0; r < wide.length; r++) {
            int[] row = wide[r];
            for (int i = 0, p = r * stride; i < stride; i++, p++) {
                row[i] = rows[p] & 0xFF;
            }
        }
        byte[] out = new byte[c.outSize * stride];
        int[] acc = new int[stride];
        for (int yy = 0; yy < c.outSize; yy++) {
            Arrays.fill(acc, HALF);
            int kBase = yy * c.ksize;
            int first = c.min[yy] - firstRow;
            // Tap-major order keeps the inner loop on contiguous memory; integer sums are exact,
            // so the result equals Pillow's pixel-major order.
            for (int t = 0; t < c.count[yy]; t++) {
                multiplyAdd(acc, c.weights[kBase + t], wide[first + t], stride);
            }
            int o = yy * stride;
            for (int i = 0; i < stride; i++) {
                out[o + i] = (byte) clip8(acc[i]);
            }
        }
        return out;
    }

    /** acc[i] += k * row[i] for i < n. */
    private static void multiplyAdd(int[] acc, int k, int[] row, int n) {
        for (int i = 0; i < n; i++) {
            acc[i] += row[i] * k;
        }
    }

    private static byte[] copyRows(RgbImage src, Window window, int firstRow, int rowCount) {
        int rowBytes = window.width() * 3;
        byte[] out = new byte[rowBytes * rowCount];
        for (int r = 0; r < rowCount; r++) {
            src.copyRow(window.x(), window.y() + firstRow + r, window.width(), out, r * rowBytes);
        }
        return out;
    }

    /** Pillow's clip8: drop the fraction bits (floor), clamp to 0..255. */
    private static int clip8(int fixedPoint) {
        int v = fixedPoint >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Pillow's bicubic_filter, a = -0.5 (Keys 1981). */
    private static double bicubic(double x) {
        final double a = -0.5;
        x = Math.abs(x);
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    private static void requirePositiveSize(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException(
                    "output size must be positive, got " + width + "x" + height);
        }
    }

    /** The part of the source that plays the role of the input image. */
    private record Window(int x, int y, int width, int height) {}

    /**
     * Per-output-pixel taps along one axis, as Pillow's precompute_coeffs followed by
     * normalize_coeffs_8bpc: output pixel i reads input pixels min[i] .. min[i]+count[i]-1 with
     * fixed-point weights weights[i*ksize ..].
     */
    private static final class Coefficients {
        final int outSize;
        final int ksize;
        final int[] min;
        final int[] count;
        final int[] weights;

        private Coefficients(int outSize, int ksize) {
            this.outSize = outSize;
            this.ksize = ksize;
            this.min = new int[outSize];
            this.count = new int[outSize];
            this.weights = new int[outSize * ksize];
        }

        static Coefficients bicubic(int inSize, float in0, float in1, int outSize) {
            // Pillow subtracts the float box edges before widening to double.
            double scale = (double) (in1 - in0) / outSize;
            // Shrinking widens the kernel by the scale factor: this is the antialiasing.
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            Coefficients c = new Coefficients(outSize, (int) Math.ceil(support) * 2 + 1);
            double[] w = new double[c.ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = in0 + (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                // (int) truncates toward zero, like C; a negative start is clamped anyway.
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double sum = 0.0;
                for (int x = 0; x < xmax; x++) {
                    w[x] = BicubicResize.bicubic((x + xmin - center + 0.5) * ss);
                    sum += w[x];
                }
                for (int x = 0; x < xmax; x++) {
                    double k = sum != 0.0 ? w[x] / sum : w[x];
                    c.weights[xx * c.ksize + x] =
                            k < 0
                                    ? (int) (-0.5 + k * (1 << PRECISION_BITS))
                                    : (int) (0.5 + k * (1 << PRECISION_BITS));
                }
                c.min[xx] = xmin;
                c.count[xx] = xmax;
            }
            return c;
        }

        /** First input pixel any output pixel reads (taps move monotonically with the output). */
        int first() {
            return min[0];
        }

        /** One past the last input pixel any output pixel reads. */
        int end() {
            return min[outSize - 1] + count[outSize - 1];
        }
    }
}
