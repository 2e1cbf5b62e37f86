package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

import java.util.Map;

/**
 * DINO's gradient clipping (utils.clip_gradients): each parameter's gradient is clipped to norm
 * {@code maxNorm} on its own — scaled by maxNorm / (‖g‖ + 1e-6) when that is below 1. This is not
 * the global-norm clipping of torch.nn.utils.clip_grad_norm_.
 */
public final class GradientClipping {

    private GradientClipping() {}

    /**
     * Clips every gradient in place and returns the norms before clipping, in map order. The
     * norms come off the device in one transfer.
     */
    public static double[] clipPerTensor(Map<String, NDArray> gradients, double maxNorm) {
        double[] values = norms(gradients);
        clip(gradients, values, maxNorm);
        return values;
    }

    /** The gradients' L2 norms in map order, off the device in one transfer. */
    public static double[] norms(Map<String, NDArray> gradients) {
        if (gradients.isEmpty()) {
            return new double[0];
        }
        NDList norms = new NDList(gradients.size());
        for (NDArray g : gradients.values()) {
            norms.add(g.norm());
        }
        return NDArrays.stack(norms).toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** Clips every gradient in place given its norm from {@link #norms}. */
    public static void clip(Map<String, NDArray> gradients, double[] values, double maxNorm) {
        int i = 0;
        for (NDArray g : gradients.values()) {
            double coef = maxNorm / (values[i++] + 1e-6);
            if (coef < 1) {
                g.muli(coef);
            }
        }
    }
}
