package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * torch.nn.LayerNorm over the last dimension: weight (1) and bias (0), eps as given (DINO's ViTs
 * use 1e-6). It calls torch.layer_norm directly with eps as a double; DJL's LayerNorm block takes
 * eps as a float.
 */
public final class LayerNorm extends Module {

    private final NDArray weight;
    private final NDArray bias;
    private final double eps;

    public LayerNorm(ParameterFactory f, int dim, double eps) {
        this.weight = registerParameter("weight", f.ones(new Shape(dim)));
        this.bias = registerParameter("bias", f.zeros(new Shape(dim)));
        this.eps = eps;
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        return JniUtils.layerNorm((PtNDArray) input, weight.getShape(), (PtNDArray) weight, (PtNDArray) bias, eps);
    }
}
