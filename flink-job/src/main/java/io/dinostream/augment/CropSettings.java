package io.dinostream.augment;

import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The job's multi-crop augmentation ({@code crops.*}): the {@link MultiCropPolicy} and how many
 * parallel {@link MultiCrop} operators run it. Defaults are the small-image policy (32 px global,
 * 16 px local views); the paper's are 224 and 96 px with 8 local views. Immutable and checked when
 * built, the policy by its own rules.
 *
 * @param policy the views drawn from each image
 * @param parallelism parallel multi-crop operators
 */
public record CropSettings(MultiCropPolicy policy, int parallelism) {

    public static final Option<Integer> GLOBAL_SIZE =
            Option.integer("crops.global-size", "32", "global view side in pixels (paper: 224)");
    public static final Option<Integer> LOCAL_SIZE =
            Option.integer("crops.local-size", "16", "local view side in pixels (paper: 96)");
    public static final Option<Integer> GLOBAL_COUNT =
            Option.integer("crops.global-count", "2", "global views per image (teacher sees these)");
    public static final Option<Integer> LOCAL_COUNT =
            Option.integer("crops.local-count", "4", "local views per image (paper: 8)");
    public static final Option<Option.Range> GLOBAL_SCALE =
            Option.range("crops.global-scale", "0.4,1.0", "area range of global crops");
    public static final Option<Option.Range> LOCAL_SCALE =
            Option.range("crops.local-scale", "0.05,0.4", "area range of local crops");
    public static final Option<Option.Range> BLUR_SIGMA = Option.range("crops.blur-sigma", "0.1,2.0",
            "Gaussian blur sigma range in pixels (paper: 0.1,2.0 for 224 px views; 0,0: no blur)");
    public static final Option<Integer> PARALLELISM =
            Option.integer("crops.parallelism", "1", "parallel multi-crop operators").positive();

    /** The crops.* options, in help order. */
    public static final List<Option<?>> OPTIONS = List.of(GLOBAL_SIZE, LOCAL_SIZE, GLOBAL_COUNT, LOCAL_COUNT,
            GLOBAL_SCALE, LOCAL_SCALE, BLUR_SIGMA, PARALLELISM);

    private static final OptionSet STORED = OptionSet.of("", OPTIONS);

    public CropSettings {
        Objects.requireNonNull(policy, "policy");
        PARALLELISM.require(parallelism);
    }

    /** The crops.* options' values. */
    public static CropSettings from(OptionValues values) {
        Option.Range global = values.get(GLOBAL_SCALE);
        Option.Range local = values.get(LOCAL_SCALE);
        Option.Range blur = values.get(BLUR_SIGMA);
        MultiCropPolicy policy = MultiCropPolicy.builder()
                .globalSize(values.get(GLOBAL_SIZE))
                .localSize(values.get(LOCAL_SIZE))
                .globalCount(values.get(GLOBAL_COUNT))
                .localCount(values.get(LOCAL_COUNT))
                .globalScale(global.min(), global.max())
                .localScale(local.min(), local.max())
                .blurSigma(blur.min(), blur.max())
                .build();
        return new CropSettings(policy, values.get(PARALLELISM));
    }

    /**
     * The settings a stored config map records (a checkpoint manifest's): names other than
     * crops.* are ignored, and a crops.* option the map lacks (written before it existed) takes
     * its default.
     */
    public static CropSettings fromStored(Map<String, String> config) {
        return from(STORED.parseKnown(config));
    }
}
