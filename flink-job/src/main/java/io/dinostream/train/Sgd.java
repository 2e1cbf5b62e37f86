package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * torch.optim.SGD with momentum 0.9 (no dampening, no Nesterov) exactly as torch 1.13's
 * single-tensor path, which main_dino.py uses with {@code --optimizer sgd} (its recipe for
 * ResNets: lr 0.03 per 256 images, weight decay 1e-4). Per parameter:
 * {@code d = g + wd·p; b ← d on the first update, else b ← 0.9·b + d; p ← p − lr·b}.
 */
public final class Sgd extends ParameterwiseOptimizer {

    public static final double MOMENTUM = 0.9;

    private final Map<String, NDArray> buffers = new LinkedHashMap<>();

    /** Momentum buffers start at zero on {@code owner}, which keeps them for the optimiser's life. */
    public Sgd(NDManager owner, Map<String, NDArray> parameters) {
        super(parameters);
        parameters.forEach((name, p) -> buffers.put(name, owner.zeros(p.getShape(), p.getDataType(), p.getDevice())));
    }

    @Override
    void update(String name, NDArray p, NDArray grad, long t, double lr, double wd) {
        NDArray d = wd != 0 ? grad.add(p.mul(wd)) : grad;
        NDArray b = buffers.get(name);
        if (t == 1) {
            // torch: buf = torch.clone(d_p).detach() (the zero buffer stands for "no buffer yet")
            b.muli(0).addi(d);
        } else {
            b.muli(MOMENTUM).addi(d);
        }
        p.subi(b.mul(lr));
    }

    @Override
    public Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        buffers.forEach((k, v) -> out.put("sgd.momentum_buffer." + k, v));
        return out;
    }

    @Override
    public void close() {
        buffers.values().forEach(NDArray::close);
    }
}
