package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * vision_transformer.PatchEmbed: a conv with kernel and stride p ({@code proj.weight} (D, 3, p, p),
 * {@code proj.bias} (D)) that turns (B, 3, H, W) images into (B, (H/p)·(W/p), D) patch tokens,
 * row-major over the patch grid, as {@code proj(x).flatten(2).transpose(1, 2)}.
 *
 * <p>A conv whose stride equals its kernel sees each pixel once, so it is computed as what it is:
 * the image cut into p×p patches, each flattened (channel, row, column) and multiplied by the
 * flattened weight, one matrix product (the im2col + GEMM that torch's CPU conv runs). The tensor
 * names, weights and results are the conv's; like the conv, pixels past the last whole patch are
 * ignored. Init is nn.Conv2d's: U(±1/sqrt(3·p·p)) for weight and bias.
 */
public final class PatchEmbed extends Module {

    private final NDArray weight;
    private final NDArray bias;
    private final int patchSize;
    private final int embedDim;

    public PatchEmbed(ParameterFactory f, int patchSize, int inChannels, int embedDim) {
        if (patchSize < 1) {
            throw new IllegalArgumentException("patch size must be >= 1, got " + patchSize);
        }
        double bound = 1.0 / Math.sqrt((double) inChannels * patchSize * patchSize);
        this.patchSize = patchSize;
        this.embedDim = embedDim;
        Projection proj = registerModule("proj", new Projection(
                f.uniform(new Shape(embedDim, inChannels, patchSize, patchSize), bound),
                f.uniform(new Shape(embedDim), bound)));
        this.weight = proj.weight;
        this.bias = proj.bias;
    }

    /** The conv's tensors under the official name {@code proj}; {@link PatchEmbed} runs them. */
    private static final class Projection extends Module {
        private final NDArray weight;
        private final NDArray bias;

        Projection(NDArray weight, NDArray bias) {
            this.weight = registerParameter("weight", weight);
            this.bias = registerParameter("bias", bias);
        }

        @Override
        public NDArray forward(NDArray input, boolean training) {
            throw new UnsupportedOperationException("PatchEmbed runs its projection");
        }
    }

    public int patchSize() {
        return patchSize;
    }

    /** (B, C, H, W) images to (B, (H/p)·(W/p), D) tokens. */
    @Override
    public NDArray forward(NDArray input, boolean training) {
        long[] s = input.getShape().getShape();
        long batch = s[0];
        long channels = s[1];
        long rows = s[2] / patchSize;
        long cols = s[3] / patchSize;
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("a " + s[2] + "x" + s[3] + " image has no whole " + patchSize + "x"
                    + patchSize + " patch");
        }
        NDArray x = input;
        if (rows * patchSize != s[2] || cols * patchSize != s[3]) {
            x = input.get(new NDIndex(":, :, :{}, :{}", rows * patchSize, cols * patchSize));
        }
        NDArray patches = x.reshape(batch, channels, rows, patchSize, cols, patchSize)
                .transpose(0, 2, 4, 1, 3, 5)
                .reshape(batch, rows * cols, channels * patchSize * patchSize);
        NDArray flatWeight = Module.temporary(input, weight.reshape(embedDim, -1));
        return ai.djl.nn.core.Linear.linear(patches, flatWeight, bias).singletonOrThrow();
    }
}
