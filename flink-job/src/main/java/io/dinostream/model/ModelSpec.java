package io.dinostream.model;

import java.util.Locale;

/**
 * What network DINO trains: the backbone and the head. Immutable; {@link #build} creates one
 * network with fresh parameters (student and teacher are two builds of the same spec).
 *
 * @param backbone "resnet10", "resnet18", "resnet34", "resnet50", or "identity:D" (features are the input,
 *     of dimension D; for tests and probes on precomputed features)
 * @param width channels of the first ResNet stage (torchvision: 64)
 * @param smallStem 3×3 stride-1 first conv and no max-pool, for 28–64 px inputs
 * @param outDim K, the number of prototypes (paper: 65536)
 * @param hiddenDim head MLP width (paper: 2048)
 * @param bottleneckDim head bottleneck before the prototypes (paper: 256)
 * @param headLayers linear layers in the head MLP (paper: 3)
 * @param normLastLayer fix the prototypes' weight-norm g to 1 (paper: on)
 * @param headBatchNorm BatchNorm after the head's hidden layers (official --use_bn_in_head; off)
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
        boolean headBatchNorm) implements java.io.Serializable {

    public ModelSpec {
        backbone = backbone.trim().toLowerCase(Locale.ROOT);
        if (identityDim(backbone) < 0) {
            ResNet.Depth.parse(backbone);
        }
        requirePositive("width", width);
        requirePositive("outDim (K)", outDim);
        requirePositive("hiddenDim", hiddenDim);
        requirePositive("bottleneckDim", bottleneckDim);
        requirePositive("headLayers", headLayers);
    }

    /** The paper's ResNet-50 setup: K = 65536, head 2048/256, 3 layers. */
    public static ModelSpec paperResNet50() {
        return new ModelSpec("resnet50", 64, false, 65536, 2048, 256, 3, true, false);
    }

    /** ResNet with the small-image stem, for 32 px crops on a CPU. */
    public static ModelSpec smallResNet(String depth, int width, int outDim) {
        return new ModelSpec(depth, width, true, outDim, 2048, 256, 3, true, false);
    }

    /** Builds the network with parameters from {@code factory}. */
    public MultiCropWrapper build(ParameterFactory factory) {
        int featureDim;
        Module net;
        int identity = identityDim(backbone);
        if (identity >= 0) {
            net = new Identity();
            featureDim = identity;
        } else {
            ResNet resnet = new ResNet(factory, ResNet.Depth.parse(backbone), width, smallStem);
            net = resnet;
            featureDim = resnet.outputDim();
        }
        DinoHead head =
                new DinoHead(
                        factory, featureDim, outDim, hiddenDim, bottleneckDim, headLayers, normLastLayer,
                        headBatchNorm);
        return new MultiCropWrapper(net, head);
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
