package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Locale;
import java.util.Map;

/**
 * The student's optimiser, with DINO's two parameter groups (utils.get_params_groups): weights
 * get the scheduled weight decay, biases and 1-D parameters none. A parameter without a gradient
 * this step (the frozen last layer) is skipped entirely, as torch skips {@code p.grad is None}.
 */
public interface Optimizer extends AutoCloseable {

    /** The optimisers of main_dino.py's --optimizer that DINO Stream implements. */
    enum Kind {
        /** torch.optim.AdamW, DINO's default. */
        ADAMW,
        /** torch.optim.SGD with momentum 0.9, the official recipe for ResNets. */
        SGD;

        public static Kind parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown optimizer '" + name + "' (--train.optimizer): use adamw or sgd", e);
            }
        }

        /** A fresh optimiser of this kind; its state starts at zero on {@code owner}. */
        public Optimizer create(NDManager owner, Map<String, NDArray> parameters) {
            return this == ADAMW ? new AdamW(owner, parameters) : new Sgd(owner, parameters);
        }
    }

    /** One update of every parameter with a gradient in {@code gradients} (by name). */
    void step(Map<String, NDArray> gradients, double lr, double weightDecay);

    /** The optimiser's tensors by unique name (moments, momentum buffers); owned by the optimiser. */
    Map<String, NDArray> stateTensors();

    /** How many updates each parameter has had (torch's per-parameter "step"). */
    Map<String, Long> updateCounts();

    /** Restores update counts saved with {@link #updateCounts()}. */
    void restoreUpdateCounts(Map<String, Long> counts);

    /** DINO's rule: no weight decay for biases and 1-D parameters (norm scales, …). */
    static boolean isRegularized(String name, NDArray parameter) {
        return !name.endsWith(".bias") && parameter.getShape().dimension() > 1;
    }

    @Override
    void close();
}
