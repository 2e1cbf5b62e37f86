package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * torch.optim.SGD with momentum 0.9 (no dampening, no Nesterov) exactly as torch 1.13's
 * single-tensor path, which main_dino.py uses with {@code --optimizer sgd} (its recipe for
 * ResNets: lr 0.03 per 256 images, weight decay 1e-4). Per parameter:
 * {@code d = g + wd·p; b ← d on the first update, else b ← 0.9·b + d; p ← p − lr·b}.
 */
public final class Sgd implements Optimizer {

    public static final double MOMENTUM = 0.9;

    private final Map<String, NDArray> parameters;
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();
    private final Map<String, Long> updateCounts = new LinkedHashMap<>();

    /** Momentum buffers start at zero on {@code owner}, which keeps them for the optimiser's life. */
    public Sgd(NDManager owner, Map<String, NDArray> parameters) {
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        parameters.forEach((name, p) -> {
            buffers.put(name, owner.zeros(p.getShape(), p.getDataType(), p.getDevice()));
            updateCounts.put(name, 0L);
        });
    }

    @Override
    public void step(Map<String, NDArray> gradients, double lr, double weightDecay) {
        gradients.forEach((name, grad) -> {
            NDArray p = parameters.get(name);
            if (p == null) {
                throw new IllegalArgumentException("no parameter named " + name);
            }
            long t = updateCounts.merge(name, 1L, Long::sum);
            double wd = Optimizer.isRegularized(name, p) ? weightDecay : 0.0;
            NDArray d = wd != 0 ? grad.add(p.mul(wd)) : grad;
            NDArray b = buffers.get(name);
            if (t == 1) {
                // torch: buf = torch.clone(d_p).detach() (the zero buffer stands for "no buffer yet")
                b.muli(0).addi(d);
            } else {
                b.muli(MOMENTUM).addi(d);
            }
            p.subi(b.mul(lr));
        });
    }

    @Override
    public Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        buffers.forEach((k, v) -> out.put("sgd.momentum_buffer." + k, v));
        return out;
    }

    @Override
    public Map<String, Long> updateCounts() {
        return Collections.unmodifiableMap(updateCounts);
    }

    @Override
    public void restoreUpdateCounts(Map<String, Long> counts) {
        if (!counts.keySet().equals(updateCounts.keySet())) {
            throw new IllegalArgumentException("saved optimiser state is for parameters " + counts.keySet()
                    + ", this model has " + updateCounts.keySet());
        }
        updateCounts.putAll(counts);
    }

    @Override
    public void close() {
        buffers.values().forEach(NDArray::close);
    }
}
