package io.dinostream.model;

import java.util.Locale;
import java.util.Optional;

/**
 * What network DINO trains: the backbone and the head. Immutable; {@link #build} creates one
 * network with fresh parameters (student and teacher are two builds of the same spec).
 *
 * @param backbone "resnet10", "resnet14", "resnet18", "resnet34", "resnet50", "vit_tiny", "vit_small",
 *     "vit_base", "vit:D:DEPTH:HEADS" (a ViT of another size), or "identity:D" (features are the
 *     input, of dimension D; for tests and probes on precomputed features)
 * @param width channels of the first ResNet stage (torchvision: 64)
 * @param smallStem 3×3 stride-1 first conv and no max-pool, for 28–64 px inputs
 * @param outDim K, the number of prototypes (paper: 65536)
 * @param hiddenDim head MLP width (paper: 2048)
 * @param bottleneckDim head bottleneck before the prototypes (paper: 256)
 * @param headLayers linear layers in the head MLP (paper: 3)
 * @param normLastLayer fix the prototypes' weight-norm g to 1 (paper: on)
 * @param headBatchNorm BatchNorm after the head's hidden layers (official --use_bn_in_head; off)
 * @param patchSize a ViT's patch side in pixels (official: 16 or 8); this and the next two take
 *     their defaults for other backbones
 * @param dropPath a ViT student's stochastic depth rate (official: 0.1); the teacher has none
 * @param imageSize the image side a ViT's position grid is for (official: 224); other sizes
 *     interpolate it
 */
public record ModelSpec(
        String backbone,
        int width,
        boolean smallStem,
        int outDim,
        int hiddenDim,
        int bottleneckDim,
        int headLayers,
        boolean normLastLayer,
        boolean headBatchNorm,
        int patchSize,
        double dropPath,
        int imageSize) implements java.io.Serializable {

    /** The official ViT patch size and image size. */
    public static final int DEFAULT_PATCH_SIZE = 16;
    public static final int DEFAULT_IMAGE_SIZE = 224;

    public ModelSpec {
        backbone = backbone.trim().toLowerCase(Locale.ROOT);
        backbone = VisionTransformer.Size.parse(backbone).map(VisionTransformer.Size::officialName).orElse(backbone);
        if (identityDim(backbone) < 0 && vitSize(backbone).isEmpty()) {
            try {
                ResNet.Depth.parse(backbone);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown backbone '" + backbone + "': use resnet10, resnet14,"
                        + " resnet18, resnet34, resnet50, vit_tiny, vit_small, vit_base or vit:D:DEPTH:HEADS", e);
            }
        }
        requirePositive("width", width);
        requirePositive("outDim (K)", outDim);
        requirePositive("hiddenDim", hiddenDim);
        requirePositive("bottleneckDim", bottleneckDim);
        requirePositive("headLayers", headLayers);
        requirePositive("patchSize", patchSize);
        requirePositive("imageSize", imageSize);
        if (!(dropPath >= 0 && dropPath < 1)) {
            throw new IllegalArgumentException("drop path must be in [0, 1), got " + dropPath);
        }
        if (vitSize(backbone).isEmpty()) {
            // the ViT fields mean nothing to a ResNet: one ResNet spec, whatever they were given
            patchSize = DEFAULT_PATCH_SIZE;
            dropPath = VisionTransformer.DEFAULT_DROP_PATH;
            imageSize = DEFAULT_IMAGE_SIZE;
        } else if (imageSize < patchSize) {
            throw new IllegalArgumentException("a " + backbone + " with patch size " + patchSize + " needs images of"
                    + " at least " + patchSize + " px, got " + imageSize + " px");
        }
    }

    /** A ResNet or identity spec: the ViT fields take the official defaults (patch 16, drop path 0.1, 224 px). */
    public ModelSpec(String backbone, int width, boolean smallStem, int outDim, int hiddenDim, int bottleneckDim,
            int headLayers, boolean normLastLayer, boolean headBatchNorm) {
        this(backbone, width, smallStem, outDim, hiddenDim, bottleneckDim, headLayers, normLastLayer, headBatchNorm,
                DEFAULT_PATCH_SIZE, VisionTransformer.DEFAULT_DROP_PATH, DEFAULT_IMAGE_SIZE);
    }

    /** The paper's ResNet-50 setup: K = 65536, head 2048/256, 3 layers. */
    public static ModelSpec paperResNet50() {
        return new ModelSpec("resnet50", 64, false, 65536, 2048, 256, 3, true, false);
    }

    /** ResNet with the small-image stem, for 32 px crops on a CPU. */
    public static ModelSpec smallResNet(String depth, int width, int outDim) {
        return new ModelSpec(depth, width, true, outDim, 2048, 256, 3, true, false);
    }

    /** The paper's ViT setup (vit_small/16 at 224 px, drop path 0.1, K = 65536, head without BN). */
    public static ModelSpec paperVit(String size, int patchSize) {
        return new ModelSpec(size, 64, false, 65536, 2048, 256, 3, true, false, patchSize,
                VisionTransformer.DEFAULT_DROP_PATH, DEFAULT_IMAGE_SIZE);
    }

    /** Whether the backbone is a Vision Transformer. */
    public boolean isVit() {
        return vitSize(backbone).isPresent();
    }

    /** This spec with a ViT position grid for images of this side (the global crop size). */
    public ModelSpec withImageSize(int side) {
        return new ModelSpec(backbone, width, smallStem, outDim, hiddenDim, bottleneckDim, headLayers, normLastLayer,
                headBatchNorm, patchSize, dropPath, side);
    }

    /** This spec with another drop path rate (0 for the teacher, as the official teacher has none). */
    public ModelSpec withDropPath(double rate) {
        return new ModelSpec(backbone, width, smallStem, outDim, hiddenDim, bottleneckDim, headLayers, normLastLayer,
                headBatchNorm, patchSize, rate, imageSize);
    }

    /** Builds the network with parameters from {@code factory}. */
    public MultiCropWrapper build(ParameterFactory factory) {
        int identity = identityDim(backbone);
        Module net;
        int featureDim;
        if (identity >= 0) {
            net = new Identity();
            featureDim = identity;
        } else {
            Backbone b = buildBackbone(factory);
            net = b;
            featureDim = b.outputDim();
        }
        DinoHead head =
                new DinoHead(
                        factory, featureDim, outDim, hiddenDim, bottleneckDim, headLayers, normLastLayer,
                        headBatchNorm);
        return new MultiCropWrapper(net, head);
    }

    /** The backbone alone (not for identity:D), with parameters from {@code factory}. */
    public Backbone buildBackbone(ParameterFactory factory) {
        if (identityDim(backbone) >= 0) {
            throw new IllegalArgumentException("backbone " + backbone + " takes precomputed features: there is no"
                    + " backbone to build");
        }
        Optional<VisionTransformer.Dims> vit = vitSize(backbone);
        if (vit.isPresent()) {
            return new VisionTransformer(factory, vit.get(), patchSize, imageSize, dropPath);
        }
        return new ResNet(factory, ResNet.Depth.parse(backbone), width, smallStem);
    }

    /** A short description for logs: "resnet10 width 16", "vit_small/16 at 224 px". */
    public String describeBackbone() {
        return isVit() ? backbone + "/" + patchSize + " at " + imageSize + " px" : backbone + " width " + width;
    }

    /**
     * The record's fields, without the ViT ones for a ResNet: a trainer state records this text,
     * and states saved before ViTs existed must still match their model.
     */
    @Override
    public String toString() {
        String head = ", outDim=" + outDim + ", hiddenDim=" + hiddenDim + ", bottleneckDim=" + bottleneckDim
                + ", headLayers=" + headLayers + ", normLastLayer=" + normLastLayer + ", headBatchNorm="
                + headBatchNorm + "]";
        if (isVit()) {
            return "ModelSpec[backbone=" + backbone + ", patchSize=" + patchSize + ", imageSize=" + imageSize
                    + ", dropPath=" + dropPath + head;
        }
        return "ModelSpec[backbone=" + backbone + ", width=" + width + ", smallStem=" + smallStem + head;
    }

    private static Optional<VisionTransformer.Dims> vitSize(String backbone) {
        return VisionTransformer.Dims.parse(backbone);
    }

    private static int identityDim(String backbone) {
        if (!backbone.startsWith("identity:")) {
            return -1;
        }
        try {
            int d = Integer.parseInt(backbone.substring("identity:".length()));
            requirePositive("identity dimension", d);
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "backbone '" + backbone + "': write identity:D with D the feature dimension", e);
        }
    }

    private static void requirePositive(String what, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + value);
        }
    }
}
