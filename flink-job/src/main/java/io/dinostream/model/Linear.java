package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** torch.nn.Linear: y = x·Wᵀ + b, weight of shape (out, in). */
public final class Linear extends Module {

    private final NDArray weight;
    private final NDArray bias;

    /** A linear layer with DINO's head init: trunc-normal weights (std 0.02), zero bias. */
    public static Linear dinoInit(ParameterFactory f, int in, int out) {
        return new Linear(f.truncatedNormal(new Shape(out, in), 0.02), f.zeros(new Shape(out)));
    }

    public Linear(NDArray weight, NDArray bias) {
        this.weight = registerParameter("weight", weight);
        this.bias = registerParameter("bias", bias);
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        return ai.djl.nn.core.Linear.linear(input, weight, bias).singletonOrThrow();
    }
}
