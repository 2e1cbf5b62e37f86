package io.dinostream;

import io.dinostream.augment.CropSettings;
import io.dinostream.config.Flags;
import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.ingest.IngestSettings;
import io.dinostream.ingest.KafkaSettings;
import io.dinostream.model.ModelSettings;
import io.dinostream.model.VisionTransformer;
import io.dinostream.monitor.MonitorSettings;
import io.dinostream.publish.PublishSettings;
import io.dinostream.replay.ReplaySettings;
import io.dinostream.train.TrainerConfig;
import io.dinostream.train.TrainerSettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the job needs, parsed and checked once at start into each stage's settings: {@link
 * #kafka()}, {@link #ingest()}, {@link #replay()}, {@link #crops()}, {@link #model()}, {@link #trainer()}, {@link
 * #monitor()}, {@link #publish()}, {@link #flink()}. Each stage declares its options beside its
 * code; this class composes them, in help order, with the Kafka client properties passed through
 * ({@link KafkaSettings#CLIENT_PROPERTIES}). Built from command-line flags ({@code --name value}
 * or {@code --name=value}) over an optional properties file ({@code --config FILE}, same names
 * without the dashes) over the defaults; any other name is refused, typos included. {@link
 * #help()} lists every option with its default; {@link #describe()} shows them with secrets masked.
 *
 * <p>Defaults are a CPU recipe that learns within minutes on small images; {@code --recipe paper}
 * switches the model and schedules to the paper's (for GPUs), its ViT recipe when
 * {@code --model.backbone} names a ViT ({@code --recipe paper --model.backbone vit_small}).
 */
public final class JobConfig {

    public static final Option<String> RECIPE = Option.oneOf("recipe", "cpu",
            "cpu (small, fast-learning defaults) or paper (DINO paper hyper-parameters, for GPUs)",
            List.of("cpu", "paper"));

    /** Each recipe's defaults where they differ from the declared (cpu) ones. */
    private static final Map<String, Map<String, String>> RECIPES = Map.of(
            "cpu", Map.of(),
            "paper", Map.ofEntries(
                    Map.entry("crops.global-size", "224"), Map.entry("crops.local-size", "96"),
                    Map.entry("crops.local-count", "8"), Map.entry("model.backbone", "resnet50"),
                    Map.entry("model.width", "64"), Map.entry("model.small-stem", "false"),
                    Map.entry("model.out-dim", "65536"), Map.entry("model.hidden-dim", "2048"),
                    Map.entry("model.bottleneck-dim", "256"), Map.entry("model.head-bn", "false"),
                    Map.entry("train.batch-size", "64"), Map.entry("train.lr", "0.0005"),
                    Map.entry("train.warmup-steps", "10000"), Map.entry("train.teacher-momentum", "0.996"),
                    Map.entry("train.warmup-teacher-temp", "0.04"), Map.entry("train.teacher-temp", "0.07"),
                    Map.entry("train.teacher-temp-warmup-steps", "30000"),
                    Map.entry("train.freeze-last-layer-steps", "1000")));

    /**
     * The paper's ViT recipe (main_dino.py's defaults for vit_small, patch 16), laid over {@code paper}'s
     * when {@code --model.backbone} names a ViT: what {@code paper} already says (AdamW, lr 5e-4 per 256
     * images with 10 epochs' warm-up, weight decay 0.04 → 0.4, teacher temperature 0.04 → 0.07 over 30
     * epochs, last layer frozen for the first epoch, clip 3.0, momentum 0.996 → 1, K = 65536, head
     * without BatchNorm; an epoch counted as 1000 steps) plus the ViT's own: patch 16, drop path 0.1,
     * norm_last_layer on.
     */
    private static final Map<String, String> PAPER_VIT = Map.of(
            "model.patch-size", "16", "model.drop-path", "0.1", "model.norm-last-layer", "true",
            "model.head-bn", "false", "train.optimizer", "adamw", "train.clip-grad", "3.0");

    private static final OptionSet OPTIONS = OptionSet.of("", OptionSet.CONFIG, RECIPE)
            .with(KafkaSettings.OPTIONS)
            .with(IngestSettings.OPTIONS)
            .with(ReplaySettings.OPTIONS)
            .with(CropSettings.OPTIONS)
            .with(ModelSettings.OPTIONS)
            .with(TrainerSettings.OPTIONS)
            .with(MonitorSettings.OPTIONS)
            .with(PublishSettings.OPTIONS)
            .with(FlinkSettings.OPTIONS)
            .passing(KafkaSettings.CLIENT_PROPERTIES)
            .withHeading("Options (flags --name value; a --config file uses the same names):");

    private final OptionValues values;
    private final KafkaSettings kafka;
    private final IngestSettings ingest;
    private final ReplaySettings replay;
    private final CropSettings crops;
    private final ModelSettings model;
    private final TrainerSettings trainer;
    private final MonitorSettings monitor;
    private final PublishSettings publish;
    private final FlinkSettings flink;
    private final TrainerConfig trainerConfig;

    private JobConfig(OptionValues values) {
        this.values = values;
        kafka = KafkaSettings.from(values);
        ingest = IngestSettings.from(values);
        replay = ReplaySettings.from(values);
        crops = CropSettings.from(values);
        model = ModelSettings.from(values).forImageSize(crops.policy().globalSize());
        trainer = TrainerSettings.from(values);
        monitor = MonitorSettings.from(values);
        publish = PublishSettings.from(values);
        flink = FlinkSettings.from(values);
        // Built here so that views the trainer refuses are refused at start.
        trainerConfig = trainer.trainerConfig(model.spec(), crops.policy());
    }

    /** Parses flags (and the --config file they name); null when --help was asked for. */
    public static JobConfig fromArgs(List<String> args) {
        return Flags.wantsHelp(args) ? null : fromFlags(Flags.parse(args));
    }

    /** A config from parsed flags over the --config file they name, over the defaults. */
    public static JobConfig fromFlags(Map<String, String> flags) {
        return of(OptionSet.overConfigFile(flags));
    }

    /** A config from option names (without dashes) to values; unknown names fail. */
    public static JobConfig of(Map<String, String> settings) {
        String recipe = RECIPE.parse(settings.getOrDefault(RECIPE.name(), RECIPE.defaultText()));
        Map<String, String> defaults = new LinkedHashMap<>(RECIPES.get(recipe));
        String backbone = settings.get(ModelSettings.BACKBONE.name());
        if (recipe.equals("paper") && backbone != null && VisionTransformer.Dims.parse(backbone).isPresent()) {
            defaults.putAll(PAPER_VIT);
        }
        return new JobConfig(OPTIONS.withDefaults(defaults).parse(settings));
    }

    /** A copy with some options changed. */
    public JobConfig with(Map<String, String> changes) {
        Map<String, String> all = new LinkedHashMap<>(values.texts());
        all.putAll(changes);
        return of(all);
    }

    /** Every option with its default and description. */
    public static String help() {
        return OPTIONS.help();
    }

    /** cpu or paper: whose defaults the options not given took. */
    public String recipe() {
        return values.get(RECIPE);
    }

    public KafkaSettings kafka() {
        return kafka;
    }

    public IngestSettings ingest() {
        return ingest;
    }

    /** The replay stage's settings. */
    public ReplaySettings replay() {
        return replay;
    }

    public CropSettings crops() {
        return crops;
    }

    public ModelSettings model() {
        return model;
    }

    public TrainerSettings trainer() {
        return trainer;
    }

    public MonitorSettings monitor() {
        return monitor;
    }

    public PublishSettings publish() {
        return publish;
    }

    public FlinkSettings flink() {
        return flink;
    }

    /** The trainer's config: {@link #trainer()} for {@link #model()} with the views {@link #crops()} draws. */
    public TrainerConfig trainerConfig() {
        return trainerConfig;
    }

    /**
     * Every option as given or defaulted, then the Kafka client properties, secrets masked: for
     * manifests (which record it) and logs.
     */
    public Map<String, String> describe() {
        return values.describe();
    }

    @Override
    public String toString() {
        return "JobConfig" + describe();
    }
}
