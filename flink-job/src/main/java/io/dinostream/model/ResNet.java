package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;

import java.util.Locale;

/**
 * A ResNet backbone with torchvision's structure and tensor names (He et al. 2016;
 * torchvision.models.resnet, v1.5: stride on the 3×3 conv of a bottleneck), with the
 * classifier removed as DINO does ({@code fc = nn.Identity()}), so the output is the pooled
 * feature vector of {@link #outputDim()} values.
 *
 * <p>Two options make it trainable on a CPU: {@code width} (channels of the first stage, 64 in
 * torchvision) and {@code smallStem} (a 3×3 stride-1 first conv and no max-pool, the usual CIFAR
 * stem for 32 px inputs). With width 64 and the standard stem the state dict loads into
 * {@code torchvision.models.resnetNN()} (strict=False for the missing fc).
 */
public final class ResNet extends Backbone {

    /**
     * The block layouts of torchvision's resnet18/34/50, resnet10 (one basic block per stage,
     * half of resnet18's compute: the layout of timm's resnet10t without its deep stem) and
     * resnet14 (one bottleneck block per stage, timm's resnet14t without its deep stem: features
     * 4× as wide as resnet10's at the same width; on 2 CPU cores width 8 steps ~1.3× slower than
     * resnet10 width 16 and learned less per image, see bench/RESULTS.md).
     */
    public enum Depth {
        RESNET10(false, 1, 1, 1, 1),
        RESNET14(true, 1, 1, 1, 1),
        RESNET18(false, 2, 2, 2, 2),
        RESNET34(false, 3, 4, 6, 3),
        RESNET50(true, 3, 4, 6, 3);

        final boolean bottleneck;
        final int[] blocks;

        Depth(boolean bottleneck, int... blocks) {
            this.bottleneck = bottleneck;
            this.blocks = blocks;
        }

        int expansion() {
            return bottleneck ? 4 : 1;
        }

        /** Parses "resnet18", "18", "RESNET50". */
        public static Depth parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (Depth d : values()) {
                String full = d.name().toLowerCase(Locale.ROOT);
                if (n.equals(full) || n.equals(full.substring("resnet".length()))) {
                    return d;
                }
            }
            throw new IllegalArgumentException(
                    "unknown ResNet depth '" + name + "': use resnet10, resnet14, resnet18, resnet34 or resnet50");
        }
    }

    private final Conv2d conv1;
    private final BatchNorm bn1;
    private final boolean smallStem;
    private final Sequential[] layers = new Sequential[4];
    private final int outputDim;

    public ResNet(ParameterFactory f, Depth depth, int width, boolean smallStem) {
        if (width < 1) {
            throw new IllegalArgumentException("ResNet width must be >= 1, got " + width);
        }
        this.smallStem = smallStem;
        conv1 =
                registerModule(
                        "conv1",
                        smallStem ? new Conv2d(f, 3, width, 3, 1, 1) : new Conv2d(f, 3, width, 7, 2, 3));
        bn1 = registerModule("bn1", new BatchNorm(f, width));
        int inplanes = width;
        for (int stage = 0; stage < 4; stage++) {
            int planes = width << stage;
            int stride = stage == 0 ? 1 : 2;
            Module[] blocks = new Module[depth.blocks[stage]];
            for (int b = 0; b < blocks.length; b++) {
                int s = b == 0 ? stride : 1;
                blocks[b] =
                        depth.bottleneck
                                ? new Bottleneck(f, inplanes, planes, s)
                                : new BasicBlock(f, inplanes, planes, s);
                inplanes = planes * depth.expansion();
            }
            layers[stage] = registerModule("layer" + (stage + 1), new Sequential(blocks));
        }
        outputDim = inplanes;
    }

    /** Length of the feature vector: 8 × width × expansion (512 for a standard resnet18). */
    @Override
    public int outputDim() {
        return outputDim;
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        NDArray x = Activation.relu(bn1.forward(conv1.forward(input, training), training));
        if (!smallStem) {
            x = Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false);
        }
        for (Sequential layer : layers) {
            x = layer.forward(x, training);
        }
        return Pool.globalAvgPool2d(x).reshape(x.getShape().get(0), outputDim);
    }

    /** The projection on the shortcut when shape changes: conv1x1 + BN, named downsample.0/1. */
    private static Sequential downsample(ParameterFactory f, int in, int out, int stride) {
        return new Sequential(new Conv2d(f, in, out, 1, stride, 0), new BatchNorm(f, out));
    }

    /** torchvision BasicBlock: 3×3, 3×3, expansion 1. */
    static final class BasicBlock extends Module {
        private final Conv2d conv1;
        private final BatchNorm bn1;
        private final Conv2d conv2;
        private final BatchNorm bn2;
        private final Sequential downsample;

        BasicBlock(ParameterFactory f, int inplanes, int planes, int stride) {
            conv1 = registerModule("conv1", new Conv2d(f, inplanes, planes, 3, stride, 1));
            bn1 = registerModule("bn1", new BatchNorm(f, planes));
            conv2 = registerModule("conv2", new Conv2d(f, planes, planes, 3, 1, 1));
            bn2 = registerModule("bn2", new BatchNorm(f, planes));
            downsample =
                    stride != 1 || inplanes != planes
                            ? registerModule("downsample", downsample(f, inplanes, planes, stride))
                            : null;
        }

        @Override
        public NDArray forward(NDArray x, boolean training) {
            NDArray out = Activation.relu(bn1.forward(conv1.forward(x, training), training));
            out = bn2.forward(conv2.forward(out, training), training);
            NDArray identity = downsample == null ? x : downsample.forward(x, training);
            return Activation.relu(out.addi(identity));
        }
    }

    /** torchvision Bottleneck (v1.5): 1×1, 3×3 (stride), 1×1 to 4× planes. */
    static final class Bottleneck extends Module {
        private final Conv2d conv1;
        private final BatchNorm bn1;
        private final Conv2d conv2;
        private final BatchNorm bn2;
        private final Conv2d conv3;
        private final BatchNorm bn3;
        private final Sequential downsample;

        Bottleneck(ParameterFactory f, int inplanes, int planes, int stride) {
            int out = planes * 4;
            conv1 = registerModule("conv1", new Conv2d(f, inplanes, planes, 1, 1, 0));
            bn1 = registerModule("bn1", new BatchNorm(f, planes));
            conv2 = registerModule("conv2", new Conv2d(f, planes, planes, 3, stride, 1));
            bn2 = registerModule("bn2", new BatchNorm(f, planes));
            conv3 = registerModule("conv3", new Conv2d(f, planes, out, 1, 1, 0));
            bn3 = registerModule("bn3", new BatchNorm(f, out));
            downsample =
                    stride != 1 || inplanes != out
                            ? registerModule("downsample", downsample(f, inplanes, out, stride))
                            : null;
        }

        @Override
        public NDArray forward(NDArray x, boolean training) {
            NDArray out = Activation.relu(bn1.forward(conv1.forward(x, training), training));
            out = Activation.relu(bn2.forward(conv2.forward(out, training), training));
            out = bn3.forward(conv3.forward(out, training), training);
            NDArray identity = downsample == null ? x : downsample.forward(x, training);
            return Activation.relu(out.addi(identity));
        }
    }
}
