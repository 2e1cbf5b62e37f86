package io.dinostream.train;

import io.dinostream.augment.MultiCropPolicy;
import io.dinostream.config.Option;
import io.dinostream.config.OptionValues;
import io.dinostream.model.DeviceChoice;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.Precision;
import java.util.List;
import java.util.Objects;

/**
 * How the job trains ({@code train.*}): batch size, the schedules (main_dino.py's cosine
 * schedules, run over a horizon instead of epochs), the loss and optimiser settings, when to stop,
 * and when the {@link StepWatchdog} fails a stalled step. Defaults are a CPU recipe that learns
 * within minutes; the paper's values are in each option's description. Immutable and checked when
 * built.
 *
 * @param batchSize source images per training step
 * @param schedules learning rate (scaled by batch / 256), weight decay, teacher momentum and
 *     temperature, last-layer freeze
 * @param studentTemp the student's softmax temperature
 * @param centerMomentum EMA momentum of the teacher's center
 * @param clipGrad per-tensor gradient norm limit (0: off)
 * @param koleoWeight weight of DINOv2's KoLeo regulariser (0: off)
 * @param optimizer the student's optimiser
 * @param maxSteps stop after this many steps (0: never)
 * @param seed seed of initialisation and augmentation
 * @param watchdog when a step counts as stalled
 * @param device where the trainer runs (resolved on the TaskManager that runs it)
 * @param precision fp32, or bf16 mixed precision (GPU only)
 * @param slotSharingGroup the trainer's Flink slot sharing group, "" for the default one
 * @param slotResources what that group asks of a TaskManager (a GPU among them)
 */
public record TrainerSettings(
        int batchSize,
        DinoSchedules schedules,
        double studentTemp,
        double centerMomentum,
        double clipGrad,
        double koleoWeight,
        Optimizer.Kind optimizer,
        long maxSteps,
        long seed,
        StepWatchdog.Limits watchdog,
        DeviceChoice device,
        Precision precision,
        String slotSharingGroup,
        SlotResources slotResources) {

    public static final Option<Integer> BATCH_SIZE =
            Option.integer("train.batch-size", "32", "source images per training step").positive();
    public static final Option<Double> LR = Option.number("train.lr", "0.01",
            "learning rate per 256 images (scaled by batch/256; paper: 0.0005)");
    public static final Option<Double> MIN_LR = Option.number("train.min-lr", "1e-6", "final learning rate of the cosine");
    public static final Option<Long> WARMUP_STEPS =
            Option.wholeNumber("train.warmup-steps", "50", "linear learning-rate warm-up steps");
    public static final Option<Long> HORIZON_STEPS = Option.wholeNumber("train.horizon-steps", "100000",
            "steps over which every cosine schedule runs").positive();
    public static final Option<Boolean> RESTART = Option.bool("train.restart", "false",
            "restart the schedules at the horizon instead of holding");
    public static final Option<Double> WEIGHT_DECAY = Option.number("train.weight-decay", "0.04", "weight decay at step 0");
    public static final Option<Double> WEIGHT_DECAY_END =
            Option.number("train.weight-decay-end", "0.4", "weight decay at the horizon");
    public static final Option<Double> TEACHER_MOMENTUM = Option.number("train.teacher-momentum", "0.99",
            "teacher EMA momentum at step 0 (paper: 0.996)");
    public static final Option<Double> TEACHER_MOMENTUM_END = Option.number("train.teacher-momentum-end", "1.0",
            "teacher EMA momentum at the horizon (paper: 1)");
    public static final Option<Double> TEACHER_TEMP = Option.number("train.teacher-temp", "0.02",
            "teacher temperature after warm-up (paper: 0.04-0.07)");
    public static final Option<Double> WARMUP_TEACHER_TEMP = Option.number("train.warmup-teacher-temp", "0.02",
            "teacher temperature at step 0 (paper: 0.04)");
    public static final Option<Long> TEACHER_TEMP_WARMUP_STEPS = Option.wholeNumber("train.teacher-temp-warmup-steps",
            "0", "steps of linear teacher-temperature warm-up");
    public static final Option<Double> STUDENT_TEMP =
            Option.number("train.student-temp", "0.1", "student temperature").positive();
    public static final Option<Double> CENTER_MOMENTUM = Option.number("train.center-momentum", "0.9",
            "center EMA momentum")
            .check(m -> m >= 0 && m < 1, text -> "--train.center-momentum must be in [0, 1), got " + text);
    public static final Option<Double> CLIP_GRAD =
            Option.number("train.clip-grad", "3.0", "per-tensor gradient norm limit (0: off)");
    public static final Option<Optimizer.Kind> OPTIMIZER = Option.parsedBy("train.optimizer", "adamw",
            "adamw or sgd (momentum 0.9; the official ResNet recipe: --train.lr 0.03 --train.weight-decay 1e-4"
                    + " --train.weight-decay-end 1e-4)", Optimizer.Kind::parse);
    public static final Option<Double> KOLEO_WEIGHT = Option.number("train.koleo-weight", "0",
            "weight of DINOv2's KoLeo regulariser on the student's global-view features (0: off)").nonNegative();
    public static final Option<Long> FREEZE_LAST_LAYER_STEPS = Option.wholeNumber("train.freeze-last-layer-steps", "10",
            "steps with the prototypes frozen at start");
    public static final Option<Long> MAX_STEPS = Option.wholeNumber("train.max-steps", "0",
            "stop after this many steps, publish and finish (0: never)").nonNegative();
    public static final Option<Long> SEED = Option.wholeNumber("train.seed", "0", "seed of initialisation and augmentation");
    public static final Option<Double> WATCHDOG_FACTOR = Option.number("train.watchdog-factor", "20",
            "a step that runs longer than this many times the median of the recent steps, and longer than"
                    + " --train.watchdog-floor-seconds, fails the task (Flink restarts it)");
    public static final Option<Double> WATCHDOG_FLOOR_SECONDS = Option.number("train.watchdog-floor-seconds", "300",
            "no step counts as stalled before this many seconds (0: no watchdog)");

    public static final Option<DeviceChoice> DEVICE = Option.parsedBy("train.device", "auto",
            "where the trainer (and the probe monitor) run: " + DeviceChoice.FORMS
                    + "; a GPU that the loaded libtorch cannot use fails the trainer at start, saying why",
            DeviceChoice::parse);
    public static final Option<Precision> PRECISION = Option.parsedBy("train.precision", "fp32",
            "arithmetic of a training step: " + Precision.FORMS, Precision::parse);
    public static final Option<String> SLOT_SHARING_GROUP = Option.text("train.slot-sharing-group", "",
            "Flink slot sharing group of the trainer and the probe monitor, e.g. gpu, so that they take slots of"
                    + " their own (the GPU TaskManagers') and the CPU stages others ('': share the default group)");

    public static final Option<SlotResources> SLOT_RESOURCES = Option.parsedBy("train.slot-resources", "",
            "with --train.slot-sharing-group: what the group asks of a TaskManager, cpu=N,heap=SIZE[,off-heap=SIZE]"
                    + "[,gpu=N], e.g. cpu=2,heap=1g,off-heap=6g,gpu=1: Flink then places it only on a TaskManager"
                    + " that offers them (gpu: Flink's external resource gpu); '': any slot", SlotResources::parse);

    /** The train.* options, in help order. */
    public static final List<Option<?>> OPTIONS = List.of(BATCH_SIZE, LR, MIN_LR, WARMUP_STEPS, HORIZON_STEPS, RESTART,
            WEIGHT_DECAY, WEIGHT_DECAY_END, TEACHER_MOMENTUM, TEACHER_MOMENTUM_END, TEACHER_TEMP, WARMUP_TEACHER_TEMP,
            TEACHER_TEMP_WARMUP_STEPS, STUDENT_TEMP, CENTER_MOMENTUM, CLIP_GRAD, OPTIMIZER, KOLEO_WEIGHT,
            FREEZE_LAST_LAYER_STEPS, MAX_STEPS, SEED, WATCHDOG_FACTOR, WATCHDOG_FLOOR_SECONDS, DEVICE, PRECISION,
            SLOT_SHARING_GROUP, SLOT_RESOURCES);

    public TrainerSettings {
        BATCH_SIZE.require(batchSize);
        Objects.requireNonNull(schedules, "schedules");
        STUDENT_TEMP.require(studentTemp);
        CENTER_MOMENTUM.require(centerMomentum);
        KOLEO_WEIGHT.require(koleoWeight);
        Objects.requireNonNull(optimizer, "optimizer");
        MAX_STEPS.require(maxSteps);
        Objects.requireNonNull(watchdog, "watchdog");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(precision, "precision");
        slotSharingGroup = slotSharingGroup.trim();
        Objects.requireNonNull(slotResources, "slotResources");
        precision.checkChoice(device);
        if (slotResources.declared() && slotSharingGroup.isEmpty()) {
            throw new IllegalArgumentException("--train.slot-resources " + slotResources + " needs"
                    + " --train.slot-sharing-group NAME: the default group cannot declare resources");
        }
    }

    /** The train.* options' values. */
    public static TrainerSettings from(OptionValues values) {
        int batchSize = values.get(BATCH_SIZE);
        DinoSchedules schedules = DinoSchedules.continual(values.get(HORIZON_STEPS))
                .lr(values.get(LR), batchSize, values.get(MIN_LR), values.get(WARMUP_STEPS))
                .weightDecay(values.get(WEIGHT_DECAY), values.get(WEIGHT_DECAY_END))
                .teacherMomentum(values.get(TEACHER_MOMENTUM), values.get(TEACHER_MOMENTUM_END))
                .teacherTemp(values.get(WARMUP_TEACHER_TEMP), values.get(TEACHER_TEMP),
                        values.get(TEACHER_TEMP_WARMUP_STEPS))
                .freezeLastLayer(values.get(FREEZE_LAST_LAYER_STEPS))
                .restart(values.get(RESTART))
                .build();
        StepWatchdog.Limits watchdog;
        try {
            watchdog = new StepWatchdog.Limits(values.get(WATCHDOG_FACTOR), values.get(WATCHDOG_FLOOR_SECONDS));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--train.watchdog-factor and --train.watchdog-floor-seconds must be"
                    + " >= 0, got " + values.text(WATCHDOG_FACTOR) + " and " + values.text(WATCHDOG_FLOOR_SECONDS), e);
        }
        return new TrainerSettings(batchSize, schedules, values.get(STUDENT_TEMP), values.get(CENTER_MOMENTUM),
                values.get(CLIP_GRAD), values.get(KOLEO_WEIGHT), values.get(OPTIMIZER), values.get(MAX_STEPS),
                values.get(SEED), watchdog, values.get(DEVICE), values.get(PRECISION), values.get(SLOT_SHARING_GROUP),
                values.get(SLOT_RESOURCES));
    }

    /** The trainer's config for this model, with as many views per image as crops draws. */
    public TrainerConfig trainerConfig(ModelSpec model, MultiCropPolicy crops) {
        return TrainerConfig.builder()
                .model(model)
                .schedules(schedules)
                .views(crops.globalCount(), crops.localCount())
                .studentTemp(studentTemp)
                .centerMomentum(centerMomentum)
                .clipGrad(clipGrad)
                .koleoWeight(koleoWeight)
                .optimizer(optimizer)
                .seed(seed)
                .device(device)
                .precision(precision)
                .build();
    }

    /** When the streaming trainer steps and snapshots: every batch, and at the publish cadence given. */
    public StreamingTrainer.Policy policy(long snapshotEverySteps, long snapshotEverySeconds) {
        return new StreamingTrainer.Policy(batchSize, snapshotEverySteps, snapshotEverySeconds, maxSteps);
    }
}
