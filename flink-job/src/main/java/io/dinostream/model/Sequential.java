package io.dinostream.model;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.List;

/** torch.nn.Sequential: children named "0", "1", … applied in order. */
public final class Sequential extends Module {

    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) {
            layers.add(registerModule(Integer.toString(layers.size()), m));
        }
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        NDArray x = input;
        for (Module m : layers) {
            NDArray in = x;
            x = Temporaries.freedAfter(() -> m.forward(in, training));
            if (in != input && in != x) {
                in.close(); // the last layer's output: autograd keeps it if backward needs it
            }
        }
        return x;
    }
}
