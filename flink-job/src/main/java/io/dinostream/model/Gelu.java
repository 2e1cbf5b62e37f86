package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** torch.nn.GELU() in its exact (erf) form, as DINO's head uses. No parameters. */
public final class Gelu extends Module {

    @Override
    public NDArray forward(NDArray input, boolean training) {
        return Activation.gelu(input);
    }
}
