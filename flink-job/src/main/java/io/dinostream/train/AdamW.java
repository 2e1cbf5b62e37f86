package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * torch.optim.AdamW (Loshchilov and Hutter 2019) exactly as torch 1.13's single-tensor path, with
 * DINO's two parameter groups (utils.get_params_groups): weights are regularised with the
 * scheduled weight decay; biases and 1-D parameters get none. DJL's optimisers have neither
 * parameter groups nor this decoupled decay, so it is written here on NDArrays.
 *
 * <p>Per parameter: {@code p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)}, where t counts this parameter's own updates. A
 * parameter whose gradient is absent this step (the frozen last layer) is skipped entirely: no
 * decay, no moment update, no count, as torch does for {@code p.grad is None}.
 */
public final class AdamW implements Optimizer {

    public static final double BETA1 = 0.9;
    public static final double BETA2 = 0.999;
    public static final double EPS = 1e-8;

    private final Map<String, NDArray> parameters;
    private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
    private final Map<String, Long> updateCounts = new LinkedHashMap<>();

    /** Moments start at zero on {@code owner}, which keeps them for the optimiser's life. */
    public AdamW(NDManager owner, Map<String, NDArray> parameters) {
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        parameters.forEach(
                (name, p) -> {
                    firstMoments.put(name, owner.zeros(p.getShape(), p.getDataType(), p.getDevice()));
                    secondMoments.put(name, owner.zeros(p.getShape(), p.getDataType(), p.getDevice()));
                    updateCounts.put(name, 0L);
                });
    }

    /**
     * One update of every parameter that has a gradient in {@code gradients} (by name), with
     * learning rate {@code lr} for all and weight decay {@code weightDecay} for the regularised.
     * Temporaries are created on the gradients' managers.
     */
    @Override
    public void step(Map<String, NDArray> gradients, double lr, double weightDecay) {
        gradients.forEach(
                (name, grad) -> {
                    NDArray p = parameters.get(name);
                    if (p == null) {
                        throw new IllegalArgumentException("no parameter named " + name);
                    }
                    long t = updateCounts.merge(name, 1L, Long::sum);
                    double wd = Optimizer.isRegularized(name, p) ? weightDecay : 0.0;
                    NDArray m = firstMoments.get(name);
                    NDArray v = secondMoments.get(name);
                    p.muli(1 - lr * wd);
                    m.muli(BETA1).addi(grad.mul(1 - BETA1));
                    v.muli(BETA2).addi(grad.mul(1 - BETA2).mul(grad));
                    double biasCorrection1 = 1 - Math.pow(BETA1, t);
                    double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(BETA2, t));
                    double stepSize = lr / biasCorrection1;
                    NDArray denom = v.sqrt().div(biasCorrection2Sqrt).add(EPS);
                    p.subi(m.div(denom).mul(stepSize));
                });
    }

    /** First moments (exp_avg) by parameter name; owned by the optimiser. */
    public Map<String, NDArray> firstMoments() {
        return Collections.unmodifiableMap(firstMoments);
    }

    /** Second moments (exp_avg_sq) by parameter name; owned by the optimiser. */
    public Map<String, NDArray> secondMoments() {
        return Collections.unmodifiableMap(secondMoments);
    }

    @Override
    public Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        firstMoments.forEach((k, v) -> out.put("adamw.exp_avg." + k, v));
        secondMoments.forEach((k, v) -> out.put("adamw.exp_avg_sq." + k, v));
        return out;
    }

    @Override
    public Map<String, Long> updateCounts() {
        return Collections.unmodifiableMap(updateCounts);
    }

    @Override
    public void restoreUpdateCounts(Map<String, Long> counts) {
        if (!counts.keySet().equals(updateCounts.keySet())) {
            throw new IllegalArgumentException(
                    "saved optimiser state is for parameters "
                            + counts.keySet()
                            + ", this model has "
                            + updateCounts.keySet());
        }
        updateCounts.putAll(counts);
    }

    @Override
    public void close() {
        firstMoments.values().forEach(NDArray::close);
        secondMoments.values().forEach(NDArray::close);
    }
}
