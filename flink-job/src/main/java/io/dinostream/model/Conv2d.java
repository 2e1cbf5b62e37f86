package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * torch.nn.Conv2d without bias (as every ResNet conv), weight (out, in, k, k).
 *
 * <p>A strided 1×1 conv (ResNet's downsample) is computed as the same function in two steps:
 * take every {@code stride}-th pixel, then convolve with stride 1. libtorch 2.7's oneDNN computes
 * the weight gradient of a strided 1×1 conv on channels-last tensors by first gathering the
 * strided pixels into a per-thread workspace, and with fewer input channels than its register
 * block (8 on AVX2, 16 on AVX-512: narrow test and CPU models) it writes past that workspace
 * (oneDNN issue 6035). On AVX2-only CPUs the step then spins forever; elsewhere memory is
 * silently overwritten. The two-step form never takes that path, and the tensor names, weights
 * and results are torch's.
 */
public final class Conv2d extends Module {

    private final NDArray weight;
    private final int kernel;
    private final int stride;
    private final int padding;

    /** A k×k conv with torchvision's ResNet init (kaiming normal, fan_out, relu). */
    public Conv2d(ParameterFactory f, int in, int out, int kernel, int stride, int padding) {
        this.weight =
                registerParameter(
                        "weight", f.kaimingNormalFanOut(new Shape(out, in, kernel, kernel)));
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        if (kernel == 1 && padding == 0 && stride > 1) {
            NDArray subsampled = input.get(new NDIndex(":, :, ::{}, ::{}", stride, stride));
            return conv(subsampled, 1);
        }
        return conv(input, stride);
    }

    private NDArray conv(NDArray input, int s) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(
                        input, weight, null, new Shape(s, s), new Shape(padding, padding), new Shape(1, 1), 1)
                .singletonOrThrow();
    }
}
