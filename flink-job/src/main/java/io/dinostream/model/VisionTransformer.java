package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dinostream.util.SeededRandom;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * DINO's Vision Transformer (Dosovitskiy et al. 2021; Caron et al. 2021 sec. 3.2;
 * facebookresearch/dino vision_transformer.VisionTransformer with {@code num_classes = 0}): patch
 * embedding, a CLS token, learned position embeddings, pre-norm blocks (LayerNorm eps 1e-6,
 * multi-head self-attention with a qkv bias, MLP ×4 with GELU), a final norm; the output is the
 * normalised CLS token, {@link #outputDim()} = D values.
 *
 * <p>Tensor names are the official ones, which are also timm's ({@code cls_token},
 * {@code pos_embed}, {@code patch_embed.proj.weight}, {@code blocks.0.attn.qkv.weight}, …,
 * {@code norm.weight}), so a state dict loads into {@code vits.vit_small(patch_size=16)} and into
 * {@code timm.create_model("vit_small_patch16_224", num_classes=0)} with strict=True when built for
 * 224 px. The position grid is {@code imageSize / patchSize} on a side; views of another size (the
 * local crops) get it interpolated, bicubic, with the official +0.1 ({@link
 * #interpolatePosEncoding}). Drop path rises linearly over the blocks to {@code dropPathRate}.
 * Init is the official: trunc-normal std 0.02 for cls_token, pos_embed and every Linear, zero
 * biases, LayerNorm 1/0, nn.Conv2d's default for the patch embedding.
 */
public final class VisionTransformer extends Backbone {

    /** DINO's vit_* use LayerNorm(eps=1e-6). */
    public static final double LAYER_NORM_EPS = 1e-6;
    /** DINO's vit_*: MLP hidden = 4 × D. */
    public static final double MLP_RATIO = 4;
    /** The official default for the student: --drop_path_rate 0.1. */
    public static final double DEFAULT_DROP_PATH = 0.1;

    /** The official vit_tiny, vit_small and vit_base: embedding dimension, depth, heads. */
    public enum Size {
        VIT_TINY(192, 12, 3),
        VIT_SMALL(384, 12, 6),
        VIT_BASE(768, 12, 12);

        public final int embedDim;
        public final int depth;
        public final int heads;

        Size(int embedDim, int depth, int heads) {
            this.embedDim = embedDim;
            this.depth = depth;
            this.heads = heads;
        }

        /** The official name: vit_tiny, vit_small, vit_base. */
        public String officialName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The size named vit_tiny, vit_small or vit_base (case and '-' for '_' aside); empty otherwise. */
        public static Optional<Size> parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
            for (Size s : values()) {
                if (s.officialName().equals(n)) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * The dimensions of a ViT named by a backbone name: vit_tiny, vit_small, vit_base, or
     * {@code vit:D:DEPTH:HEADS} for another size (MLP 4 × D, as theirs), e.g. {@code vit:96:6:3}
     * for CPUs. Empty when the name is not a ViT's.
     */
    public record Dims(int embedDim, int depth, int heads) {

        public static Optional<Dims> parse(String backbone) {
            String n = backbone.trim().toLowerCase(Locale.ROOT);
            Optional<Size> named = Size.parse(n);
            if (named.isPresent()) {
                Size s = named.get();
                return Optional.of(new Dims(s.embedDim, s.depth, s.heads));
            }
            if (!n.startsWith("vit:")) {
                return Optional.empty();
            }
            String[] parts = n.substring("vit:".length()).split(":");
            try {
                if (parts.length != 3) {
                    throw new NumberFormatException();
                }
                Dims d = new Dims(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
                if (d.embedDim < 1 || d.depth < 1 || d.heads < 1 || d.embedDim % d.heads != 0) {
                    throw new IllegalArgumentException("backbone '" + backbone + "': D, DEPTH and HEADS must be >= 1"
                            + " and HEADS must divide D");
                }
                return Optional.of(d);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("backbone '" + backbone + "': write vit:D:DEPTH:HEADS, e.g."
                        + " vit:96:6:3, or vit_tiny, vit_small, vit_base", e);
            }
        }
    }

    private final NDArray clsToken;
    private final NDArray posEmbed;
    private final PatchEmbed patchEmbed;
    private final List<TransformerBlock> blocks;
    private final LayerNorm norm;
    private final int patchSize;
    private final int embedDim;
    private final int gridSize;
    private final SeededRandom dropPathRandom = new SeededRandom(0);

    /** The official vit_tiny / vit_small / vit_base for images of imageSize px. */
    public VisionTransformer(ParameterFactory f, Size size, int patchSize, int imageSize, double dropPathRate) {
        this(f, imageSize, patchSize, size.embedDim, size.depth, size.heads, MLP_RATIO, dropPathRate);
    }

    /** A ViT of these dimensions (MLP 4 × D) for images of imageSize px. */
    public VisionTransformer(ParameterFactory f, Dims dims, int patchSize, int imageSize, double dropPathRate) {
        this(f, imageSize, patchSize, dims.embedDim(), dims.depth(), dims.heads(), MLP_RATIO, dropPathRate);
    }

    /**
     * VisionTransformer(img_size=[imageSize], patch_size, embed_dim, depth, num_heads, mlp_ratio,
     * qkv_bias=True, drop_path_rate, norm_layer=LayerNorm(eps=1e-6)).
     */
    public VisionTransformer(ParameterFactory f, int imageSize, int patchSize, int embedDim, int depth, int heads,
            double mlpRatio, double dropPathRate) {
        if (patchSize < 1 || imageSize < patchSize) {
            throw new IllegalArgumentException("a ViT needs a patch size >= 1 and images at least one patch wide,"
                    + " got patch size " + patchSize + " for " + imageSize + " px images");
        }
        if (depth < 1) {
            throw new IllegalArgumentException("a ViT needs at least one block, got depth " + depth);
        }
        if (!(dropPathRate >= 0 && dropPathRate < 1)) {
            throw new IllegalArgumentException("drop path rate must be in [0, 1), got " + dropPathRate);
        }
        this.patchSize = patchSize;
        this.embedDim = embedDim;
        this.gridSize = imageSize / patchSize;
        int numPatches = gridSize * gridSize;
        this.clsToken = registerParameter("cls_token", f.truncatedNormal(new Shape(1, 1, embedDim), 0.02));
        this.posEmbed = registerParameter("pos_embed",
                f.truncatedNormal(new Shape(1, numPatches + 1, embedDim), 0.02));
        this.patchEmbed = registerModule("patch_embed", new PatchEmbed(f, patchSize, 3, embedDim));
        float[] dpr = linspace((float) dropPathRate, depth);
        List<TransformerBlock> list = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            list.add(new TransformerBlock(f, embedDim, heads, (int) (embedDim * mlpRatio), LAYER_NORM_EPS,
                    new DropPath(dpr[i], dropPathRandom)));
        }
        this.blocks = Collections.unmodifiableList(list);
        registerModule("blocks", new Sequential(list.toArray(new Module[0])));
        this.norm = registerModule("norm", new LayerNorm(f, embedDim, LAYER_NORM_EPS));
    }

    /**
     * torch.linspace(0, end, steps) in float32, as the official stochastic depth rule takes it
     * ({@code [x.item() for x in torch.linspace(0, drop_path_rate, depth)]}).
     */
    static float[] linspace(float end, int steps) {
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = 0f;
            return out;
        }
        float step = end / (steps - 1);
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = i < half ? step * i : end - step * (steps - i - 1);
        }
        return out;
    }

    @Override
    public int outputDim() {
        return embedDim;
    }

    public int patchSize() {
        return patchSize;
    }

    /** Side of the position grid: the image size the model was built for, over the patch size. */
    public int gridSize() {
        return gridSize;
    }

    /** Number of blocks. */
    public int depth() {
        return blocks.size();
    }

    /** The blocks' drop path probabilities, rising linearly from 0 (stochastic depth). */
    public double[] dropPathRates() {
        return blocks.stream().mapToDouble(TransformerBlock::dropPathProb).toArray();
    }

    @Override
    public void reseed(long seed) {
        dropPathRandom.setState(seed);
    }

    /** (B, 3, H, W) images to their (B, D) CLS features, the final norm applied. */
    @Override
    public NDArray forward(NDArray input, boolean training) {
        NDArray x = Temporaries.freedAfter(() -> prepareTokens(input));
        for (TransformerBlock block : blocks) {
            NDArray in = x;
            x = Temporaries.freedAfter(() -> block.forward(in, training));
            in.close(); // the last block's output: autograd keeps it if backward needs it
        }
        return norm.forward(x, training).get(":, 0");
    }

    /**
     * The last block's self-attention weights (B, heads, N, N) with N = 1 + patches, in eval mode:
     * row 0 is what the CLS token attends to (vision_transformer.get_last_selfattention).
     */
    public NDArray lastSelfAttention(NDArray input) {
        NDArray x = prepareTokens(input);
        for (int i = 0; i < blocks.size() - 1; i++) {
            x = blocks.get(i).forward(x, false);
        }
        return blocks.get(blocks.size() - 1).attention(x);
    }

    /** Patch tokens after the CLS token, plus the position embedding for this image size. */
    NDArray prepareTokens(NDArray input) {
        long[] s = input.getShape().getShape();
        NDArray patches = patchEmbed.forward(input, false);
        NDArray ones = input.getManager().ones(new Shape(s[0], 1, 1), input.getDataType());
        NDArray tokens = NDArrays.concat(new NDList(ones.mul(clsToken), patches), 1);
        return tokens.add(interpolatePosEncoding(tokens, (int) s[2], (int) s[3]));
    }

    /**
     * The position embedding for tokens of an h × w image (vision_transformer.interpolate_pos_encoding):
     * the model's own when the grid is its own and the image square; else the patch part resized
     * as a grid with F.interpolate(scale_factor = (h/p + 0.1, w/p + 0.1) / √N, mode = 'bicubic'),
     * the +0.1 keeping floating point from rounding the output size down, and the CLS part kept.
     */
    public NDArray interpolatePosEncoding(NDArray tokens, int h, int w) {
        int npatch = (int) tokens.getShape().get(1) - 1;
        int n = gridSize * gridSize;
        if (npatch == n && w == h) {
            return posEmbed;
        }
        double rows = h / patchSize + 0.1;
        double cols = w / patchSize + 0.1;
        int m = (int) Math.sqrt(n);
        double rowFactor = rows / Math.sqrt(n);
        double colFactor = cols / Math.sqrt(n);
        int outRows = BicubicInterpolation.outputSize(m, rowFactor);
        int outCols = BicubicInterpolation.outputSize(m, colFactor);
        if (outRows != (int) rows || outCols != (int) cols) {
            throw new IllegalStateException("interpolated position grid " + outRows + "x" + outCols + " for "
                    + (int) rows + "x" + (int) cols + " patches");
        }
        NDManager manager = tokens.getManager();
        NDArray rowWeights = weightMatrix(manager, m, rowFactor, outRows, tokens);
        NDArray colWeights = weightMatrix(manager, m, colFactor, outCols, tokens);
        NDArray classPos = temporary(tokens, posEmbed.get(":, 0:1, :"));
        NDArray patchPos = temporary(tokens, posEmbed.get(":, 1:, :")).reshape(m, (long) m * embedDim);
        // (outRows, m) @ (m, m·D) -> (outRows, m, D); then (outCols, m) @ each row -> (outRows, outCols, D)
        NDArray resizedRows = rowWeights.matMul(patchPos).reshape(outRows, m, embedDim);
        NDArray grid = colWeights.matMul(resizedRows).reshape(1, (long) outRows * outCols, embedDim);
        return NDArrays.concat(new NDList(classPos, grid), 1);
    }

    private static NDArray weightMatrix(NDManager manager, int in, double factor, int out, NDArray like) {
        return OwnedTensors.of(manager, BicubicInterpolation.weights(in, factor), new Shape(out, in), like.getDataType());
    }
}
