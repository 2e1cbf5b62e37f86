package io.dinostream.model;

import ai.djl.ndarray.NDArray;

/** torch.nn.Identity: a backbone that passes features through (used by tests and probes). */
public final class Identity extends Module {

    @Override
    public NDArray forward(NDArray input, boolean training) {
        return input;
    }
}
