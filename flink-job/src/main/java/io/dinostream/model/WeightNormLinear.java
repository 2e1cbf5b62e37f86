package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * torch.nn.utils.weight_norm(nn.Linear(in, out, bias=False)): W = g · v / ‖v‖ with the norm over
 * each output row (dim 0), tensors {@code weight_g} (out, 1) and {@code weight_v} (out, in). DJL
 * has no weight-norm layer; this is it.
 *
 * <p>DINO's head fixes g to 1 and freezes it when norm_last_layer is on (main_dino.py,
 * vision_transformer.DINOHead), which makes the last layer a cosine classifier.
 */
public final class WeightNormLinear extends Module {

    private final NDArray weightG;
    private final NDArray weightV;

    /** DINO's last layer: v from nn.Linear's default init, g filled with 1. */
    public static WeightNormLinear dinoInit(
            ParameterFactory f, int in, int out, boolean freezeNorm) {
        return new WeightNormLinear(
                f.ones(new Shape(out, 1)), f.linearDefault(new Shape(out, in)), freezeNorm);
    }

    public WeightNormLinear(NDArray weightG, NDArray weightV, boolean freezeNorm) {
        this.weightG =
                freezeNorm
                        ? registerFrozenParameter("weight_g", weightG)
                        : registerParameter("weight_g", weightG);
        this.weightV = registerParameter("weight_v", weightV);
    }

    /** The effective weight g · v / ‖v‖_row, shape (out, in). */
    public NDArray effectiveWeight() {
        return weightV.mul(weightG).div(weightV.norm(2, new int[] {1}, true));
    }

    /**
     * Under mixed precision the prototypes stay float32 (their logits feed the teacher's softmax at
     * τt 0.04, where bfloat16's 8-bit mantissa would move the targets by percents): a bfloat16 input
     * is taken into float32 first, by adding a float32 zero, which unlike DJL's toType keeps the
     * autograd graph.
     */
    @Override
    public NDArray forward(NDArray input, boolean training) {
        NDArray x = input.getDataType() == weightV.getDataType()
                ? input
                : input.add(input.getManager().zeros(new Shape(1), weightV.getDataType()));
        return ai.djl.nn.core.Linear.linear(x, effectiveWeight(), null).singletonOrThrow();
    }
}
