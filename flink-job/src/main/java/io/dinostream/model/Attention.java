package io.dinostream.model;

import ai.djl.ndarray.NDArray;

/**
 * vision_transformer.Attention: multi-head self-attention with a bias on the qkv projection
 * ({@code qkv} (3D, D), {@code proj} (D, D)). Heads split D into D/h; scores are
 * {@code (q @ kᵀ) · (D/h)^-0.5}, softmax over the keys, as the official forward computes them.
 */
public final class Attention extends Module {

    private final Linear qkv;
    private final Linear proj;
    private final int heads;
    private final double scale;

    /** The output tokens and the attention weights (B, heads, N, N) that made them. */
    public record Output(NDArray tokens, NDArray attention) {}

    public Attention(ParameterFactory f, int dim, int heads) {
        if (heads < 1 || dim % heads != 0) {
            throw new IllegalArgumentException("embedding dimension " + dim + " does not split into " + heads
                    + " heads");
        }
        this.qkv = registerModule("qkv", Linear.dinoInit(f, dim, 3 * dim));
        this.proj = registerModule("proj", Linear.dinoInit(f, dim, dim));
        this.heads = heads;
        this.scale = Math.pow(dim / heads, -0.5);
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        return forwardWithAttention(input).tokens();
    }

    /** (B, N, D) tokens to (B, N, D), keeping the attention weights. */
    public Output forwardWithAttention(NDArray x) {
        long[] s = x.getShape().getShape();
        long batch = s[0];
        long tokens = s[1];
        long dim = s[2];
        // (B, N, 3, h, D/h) -> (3, B, h, N, D/h)
        NDArray qkvHeads = qkv.forward(x, false).reshape(batch, tokens, 3, heads, dim / heads)
                .transpose(2, 0, 3, 1, 4);
        NDArray q = qkvHeads.get(0);
        NDArray k = qkvHeads.get(1);
        NDArray v = qkvHeads.get(2);
        NDArray attention = OwnedTensors.mul(q.matMul(k.swapAxes(2, 3)), scale).softmax(3);
        NDArray out = attention.matMul(v).swapAxes(1, 2).reshape(batch, tokens, dim);
        return new Output(proj.forward(out, false), attention);
    }
}
