package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

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
public final class AdamW extends ParameterwiseOptimizer {

    public static final double BETA1 = 0.9;
    public static final double BETA2 = 0.999;
    public static final double EPS = 1e-8;

    private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();

    /** Moments start at zero on {@code owner}, which keeps them for the optimiser's life. */
    public AdamW(NDManager owner, Map<String, NDArray> parameters) {
        super(parameters);
        parameters.forEach((name, p) -> {
            firstMoments.put(name, owner.zeros(p.getShape(), p.getDataType(), p.getDevice()));
            secondMoments.put(name, owner.zeros(p.getShape(), p.getDataType(), p.getDevice()));
        });
    }

    @Override
    void update(String name, NDArray p, NDArray grad, long t, double lr, double wd) {
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
    }

    @Override
    public Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        firstMoments.forEach((k, v) -> out.put("adamw.exp_avg." + k, v));
        secondMoments.forEach((k, v) -> out.put("adamw.exp_avg_sq." + k, v));
        return out;
    }

    @Override
    public void close() {
        firstMoments.values().forEach(NDArray::close);
        secondMoments.values().forEach(NDArray::close);
    }
}
