package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.dinostream.util.SeededRandom;

import java.util.Arrays;

/**
 * Stochastic depth (vision_transformer.drop_path): in training, each sample's residual branch is
 * kept with probability 1 − p and then divided by 1 − p, or zeroed; in eval it is the identity.
 * The keep/drop draws come from a {@link SeededRandom} that the model shares and the trainer
 * reseeds each step, as {@code floor(keep + U[0, 1))} per sample, the official formula.
 */
final class DropPath {

    private final double prob;
    private final SeededRandom random;

    DropPath(double prob, SeededRandom random) {
        if (!(prob >= 0 && prob < 1)) {
            throw new IllegalArgumentException("drop path probability must be in [0, 1), got " + prob);
        }
        this.prob = prob;
        this.random = random;
    }

    double prob() {
        return prob;
    }

    NDArray apply(NDArray x, boolean training) {
        if (prob == 0 || !training) {
            return x;
        }
        double keep = 1 - prob;
        long[] shape = new long[x.getShape().dimension()];
        Arrays.fill(shape, 1);
        shape[0] = x.getShape().get(0);
        double[] mask = new double[(int) shape[0]];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = Math.floor(keep + random.nextDouble());
        }
        // the mask and 1 / keep stay in the graph until backward: in memory libtorch owns
        NDArray maskArray = OwnedTensors.of(x.getManager(), mask, new Shape(shape), x.getDataType());
        return OwnedTensors.div(x, keep).mul(maskArray);
    }
}
