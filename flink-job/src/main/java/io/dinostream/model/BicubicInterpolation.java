package io.dinostream.model;

/**
 * The weights of torch's {@code upsample_bicubic2d} (align_corners = False, cubic convolution with
 * A = −0.75) along one axis, as a matrix: output[i] = Σ_j W[i][j] · input[j]. Bicubic
 * interpolation is separable and linear, so a 2-D resize is two matrix products, and autograd
 * differentiates them like torch's own backward.
 *
 * <p>Called with a scale factor, as DINO's {@code interpolate_pos_encoding} calls
 * {@code F.interpolate(scale_factor=…)}: the output size is {@code (long) (in · factor)} and the
 * source coordinate of output i is {@code (i + 0.5) / factor − 0.5}, with 1 / factor, not in / out,
 * as the step (torch's {@code area_pixel_compute_scale} with a scale given). The taps outside the
 * input take the edge value (torch clamps the index).
 */
public final class BicubicInterpolation {

    /** The cubic convolution constant torch uses (Keys' a; Pillow and OpenCV's too). */
    static final double A = -0.75;

    private BicubicInterpolation() {}

    /** The size F.interpolate gives an axis of {@code in} samples with this scale factor. */
    public static int outputSize(int in, double scaleFactor) {
        return (int) (long) (in * scaleFactor);
    }

    /** The (out × in) weight matrix for an axis of {@code in} samples resized by scaleFactor, row-major. */
    public static double[] weights(int in, double scaleFactor) {
        int out = outputSize(in, scaleFactor);
        double scale = 1.0 / scaleFactor;
        double[] w = new double[out * in];
        double[] c = new double[4];
        for (int i = 0; i < out; i++) {
            double real = scale * (i + 0.5) - 0.5;
            double floor = Math.floor(real);
            int index = (int) floor;
            double t = real - floor;
            c[0] = cubic2(t + 1);
            c[1] = cubic1(t);
            c[2] = cubic1(1 - t);
            c[3] = cubic2(2 - t);
            for (int j = 0; j < 4; j++) {
                int source = Math.max(0, Math.min(in - 1, index - 1 + j));
                w[i * in + source] += c[j];
            }
        }
        return w;
    }

    /** The kernel for |x| ≤ 1. */
    private static double cubic1(double x) {
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    }

    /** The kernel for 1 < |x| < 2. */
    private static double cubic2(double x) {
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    }
}
