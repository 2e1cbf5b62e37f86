package io.dinostream.train;

import ai.djl.ndarray.NDArray;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What torch's single-tensor optimisers share: the parameters by name, each parameter's own update
 * count, and a step that updates every parameter with a gradient, with the scheduled weight decay
 * for the regularised ({@link Optimizer#isRegularized}) and none for the rest.
 */
abstract class ParameterwiseOptimizer implements Optimizer {

    private final Map<String, NDArray> parameters;
    private final Map<String, Long> updateCounts = new LinkedHashMap<>();

    ParameterwiseOptimizer(Map<String, NDArray> parameters) {
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        parameters.keySet().forEach(name -> updateCounts.put(name, 0L));
    }

    /**
     * One update of every parameter that has a gradient in {@code gradients} (by name).
     * Temporaries are created on the gradients' managers.
     */
    @Override
    public final void step(Map<String, NDArray> gradients, double lr, double weightDecay) {
        gradients.forEach((name, grad) -> {
            NDArray p = parameters.get(name);
            if (p == null) {
                throw new IllegalArgumentException("no parameter named " + name);
            }
            long t = updateCounts.merge(name, 1L, Long::sum);
            update(name, p, grad, t, lr, Optimizer.isRegularized(name, p) ? weightDecay : 0.0);
        });
    }

    /** Updates parameter {@code p} in place; {@code t} counts its updates, this one included. */
    abstract void update(String name, NDArray p, NDArray grad, long t, double lr, double weightDecay);

    @Override
    public final Map<String, Long> updateCounts() {
        return Collections.unmodifiableMap(updateCounts);
    }

    @Override
    public final void restoreUpdateCounts(Map<String, Long> counts) {
        if (!counts.keySet().equals(updateCounts.keySet())) {
            throw new IllegalArgumentException("saved optimiser state is for parameters " + counts.keySet()
                    + ", this model has " + updateCounts.keySet());
        }
        updateCounts.putAll(counts);
    }
}
