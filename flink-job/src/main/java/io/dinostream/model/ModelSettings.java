package io.dinostream.model;

import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The network the job trains ({@code model.*}), as a {@link ModelSpec} with the paper's 3-layer
 * head. Defaults are a small ResNet-10 for 32 px crops on a CPU; the paper's is a ResNet-50 with
 * K = 65536. Immutable and checked when built, by the spec's own rules.
 *
 * @param spec the backbone and the head
 */
public record ModelSettings(ModelSpec spec) {

    /** Linear layers in the head MLP: the paper's, not an option. */
    private static final int HEAD_LAYERS = 3;

    public static final Option<String> BACKBONE = Option.text("model.backbone", "resnet10",
            "resnet10, resnet14, resnet18, resnet34, resnet50, vit_tiny, vit_small, vit_base, or vit:D:DEPTH:HEADS"
                    + " (a ViT of another size, e.g. vit:96:6:3)");
    public static final Option<Integer> WIDTH = Option.integer("model.width", "16",
            "channels of the first ResNet stage (torchvision: 64)");
    public static final Option<Boolean> SMALL_STEM = Option.bool("model.small-stem", "true",
            "3x3 stride-1 stem without max-pool, for 28-64 px images");
    public static final Option<Integer> PATCH_SIZE = Option.integer("model.patch-size", "16",
            "ViT patch side in pixels (official: 16 or 8; 4 for 32 px images)").positive();
    public static final Option<Double> DROP_PATH = Option.number("model.drop-path", "0.1",
            "ViT student's stochastic depth rate (official: 0.1; the teacher has none)")
            .check(p -> p >= 0 && p < 1, text -> "--model.drop-path must be in [0, 1), got " + text);
    public static final Option<Integer> OUT_DIM = Option.integer("model.out-dim", "4096",
            "K, prototypes of the DINO head (paper: 65536)");
    public static final Option<Integer> HIDDEN_DIM = Option.integer("model.hidden-dim", "512",
            "head MLP width (paper: 2048)");
    public static final Option<Integer> BOTTLENECK_DIM = Option.integer("model.bottleneck-dim", "128",
            "head bottleneck (paper: 256)");
    public static final Option<Boolean> HEAD_BN = Option.bool("model.head-bn", "true",
            "BatchNorm in the head (official --use_bn_in_head)");
    public static final Option<Boolean> NORM_LAST_LAYER = Option.bool("model.norm-last-layer", "true",
            "fix the prototypes' norm to 1 (paper: on)");

    /** The model.* options, in help order. */
    public static final List<Option<?>> OPTIONS =
            List.of(BACKBONE, WIDTH, SMALL_STEM, PATCH_SIZE, DROP_PATH, OUT_DIM, HIDDEN_DIM, BOTTLENECK_DIM, HEAD_BN, NORM_LAST_LAYER);

    private static final OptionSet STORED = OptionSet.of("", OPTIONS);

    public ModelSettings {
        Objects.requireNonNull(spec, "spec");
    }

    /**
     * The model.* options' values, a ViT's position grid for {@value ModelSpec#DEFAULT_IMAGE_SIZE} px
     * images ({@link #forImageSize} sets the size trained on).
     */
    public static ModelSettings from(OptionValues values) {
        return new ModelSettings(new ModelSpec(values.get(BACKBONE), values.get(WIDTH), values.get(SMALL_STEM),
                values.get(OUT_DIM), values.get(HIDDEN_DIM), values.get(BOTTLENECK_DIM), HEAD_LAYERS,
                values.get(NORM_LAST_LAYER), values.get(HEAD_BN), values.get(PATCH_SIZE), values.get(DROP_PATH),
                ModelSpec.DEFAULT_IMAGE_SIZE));
    }

    /**
     * These settings for images of this side (the global crop size): a ViT's position grid is
     * side / patch size on a side, as the official one is built for its 224 px global crops.
     */
    public ModelSettings forImageSize(int side) {
        return new ModelSettings(spec.withImageSize(side));
    }

    /**
     * The model a stored config map records (a checkpoint manifest's): names other than model.*
     * are ignored, and a model.* option the map lacks (written before it existed) takes its
     * default.
     */
    public static ModelSettings fromStored(Map<String, String> config) {
        return from(STORED.parseKnown(config));
    }
}
