package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** torch.nn.Conv2d without bias (as every ResNet conv), weight (out, in, k, k). */
public final class Conv2d extends Module {

    private final NDArray weight;
    private final Shape stride;
    private final Shape padding;

    /** A k×k conv with torchvision's ResNet init (kaiming normal, fan_out, relu). */
    public Conv2d(ParameterFactory f, int in, int out, int kernel, int stride, int padding) {
        this.weight =
                registerParameter(
                        "weight", f.kaimingNormalFanOut(new Shape(out, in, kernel, kernel)));
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(
                        input, weight, null, stride, padding, new Shape(1, 1), 1)
                .singletonOrThrow();
    }
}
