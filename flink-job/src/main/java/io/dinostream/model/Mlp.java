package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** vision_transformer.Mlp: {@code fc1} (D → hidden), GELU (exact erf form), {@code fc2} (hidden → D). */
public final class Mlp extends Module {

    private final Linear fc1;
    private final Linear fc2;

    public Mlp(ParameterFactory f, int dim, int hidden) {
        this.fc1 = registerModule("fc1", Linear.dinoInit(f, dim, hidden));
        this.fc2 = registerModule("fc2", Linear.dinoInit(f, hidden, dim));
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        return fc2.forward(Activation.gelu(fc1.forward(input, training)), training);
    }
}
