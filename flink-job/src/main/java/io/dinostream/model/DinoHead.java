package io.dinostream.model;

import ai.djl.ndarray.NDArray;

/**
 * The DINO projection head (Caron et al. 2021, sec. 3.1 and appendix; vision_transformer.DINOHead):
 * an MLP of {@code nlayers} linear layers with GELU between them (in → hidden → … → bottleneck),
 * L2 normalisation, then a weight-normalised linear layer without bias to K prototypes. Weights
 * use a truncated normal with std 0.02 and zero bias; the last layer's g is fixed to 1 when
 * {@code normLastLayer} is on; {@code useBatchNorm} adds BatchNorm1d after each hidden linear layer
 * (the official use_bn / --use_bn_in_head). Tensor names follow the official code ({@code mlp.0.weight},
 * {@code last_layer.weight_v}). Defaults are the paper's: hidden 2048, bottleneck 256, 3 layers.
 */
public final class DinoHead extends Module {

    public static final int DEFAULT_HIDDEN = 2048;
    public static final int DEFAULT_BOTTLENECK = 256;
    public static final int DEFAULT_LAYERS = 3;

    private final Module mlp;
    private final WeightNormLinear lastLayer;

    /** The paper's head: hidden 2048, bottleneck 256, 3 layers, norm_last_layer on. */
    public DinoHead(ParameterFactory f, int inDim, int outDim) {
        this(f, inDim, outDim, DEFAULT_HIDDEN, DEFAULT_BOTTLENECK, DEFAULT_LAYERS, true, false);
    }

    public DinoHead(
            ParameterFactory f,
            int inDim,
            int outDim,
            int hiddenDim,
            int bottleneckDim,
            int nlayers,
            boolean normLastLayer,
            boolean useBatchNorm) {
        if (nlayers < 1) {
            throw new IllegalArgumentException("the DINO head needs at least 1 layer, got " + nlayers);
        }
        if (nlayers == 1) {
            mlp = registerModule("mlp", Linear.dinoInit(f, inDim, bottleneckDim));
        } else {
            // Linear [BatchNorm1d] GELU, nlayers - 1 times, then Linear to the bottleneck; indices
            // (mlp.0, mlp.1, ...) follow the official nn.Sequential.
            java.util.List<Module> layers = new java.util.ArrayList<>();
            for (int i = 0; i < nlayers - 1; i++) {
                layers.add(Linear.dinoInit(f, i == 0 ? inDim : hiddenDim, hiddenDim));
                if (useBatchNorm) {
                    layers.add(new BatchNorm(f, hiddenDim));
                }
                layers.add(new Gelu());
            }
            layers.add(Linear.dinoInit(f, hiddenDim, bottleneckDim));
            mlp = registerModule("mlp", new Sequential(layers.toArray(new Module[0])));
        }
        lastLayer =
                registerModule(
                        "last_layer",
                        WeightNormLinear.dinoInit(f.keptInFloat32(), bottleneckDim, outDim, normLastLayer));
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        NDArray z = mlp.forward(input, training).normalize(2, -1, 1e-12);
        return lastLayer.forward(z, training);
    }

    /** The prototype layer, whose gradients are dropped while it is frozen. */
    public WeightNormLinear lastLayer() {
        return lastLayer;
    }
}
