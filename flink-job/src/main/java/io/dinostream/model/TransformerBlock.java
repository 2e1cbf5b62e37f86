package io.dinostream.model;

import ai.djl.ndarray.NDArray;

/**
 * vision_transformer.Block, pre-norm: x + drop_path(attn(norm1(x))), then
 * x + drop_path(mlp(norm2(x))), with tensors {@code norm1}, {@code attn}, {@code norm2},
 * {@code mlp} (official names; drop path has none).
 */
public final class TransformerBlock extends Module {

    private final LayerNorm norm1;
    private final Attention attn;
    private final LayerNorm norm2;
    private final Mlp mlp;
    private final DropPath dropPath;

    TransformerBlock(ParameterFactory f, int dim, int heads, int mlpHidden, double eps, DropPath dropPath) {
        this.norm1 = registerModule("norm1", new LayerNorm(f, dim, eps));
        this.attn = registerModule("attn", new Attention(f, dim, heads));
        this.norm2 = registerModule("norm2", new LayerNorm(f, dim, eps));
        this.mlp = registerModule("mlp", new Mlp(f, dim, mlpHidden));
        this.dropPath = dropPath;
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        NDArray y = attn.forward(norm1.forward(x, training), training);
        x = x.add(dropPath.apply(y, training));
        return x.add(dropPath.apply(mlp.forward(norm2.forward(x, training), training), training));
    }

    /** The self-attention weights (B, heads, N, N) of this block on x, as Block(x, return_attention=True). */
    public NDArray attention(NDArray x) {
        return attn.forwardWithAttention(norm1.forward(x, false)).attention();
    }

    double dropPathProb() {
        return dropPath.prob();
    }
}
