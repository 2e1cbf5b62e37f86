package io.dinostream.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.dinostream.model.Backbone;
import io.dinostream.model.LibTorch;
import io.dinostream.model.MultiCropWrapper;
import io.dinostream.model.ParameterFactory;
import io.dinostream.model.Precision;
import io.dinostream.model.Safetensors;
import io.dinostream.model.Temporaries;
import io.dinostream.model.Tensors;
import io.dinostream.types.TrainingReport;
import io.dinostream.util.SeededRandom;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DINO training, one step at a time (Caron et al. 2021, Algorithm 1; main_dino.train_one_epoch).
 * Owns a student and its EMA teacher (two builds of one {@link io.dinostream.model.ModelSpec}),
 * the loss with its center, and the optimiser (AdamW or SGD) with its state, all on one NDManager on the trainer's
 * device ({@link TrainerConfig#device()}: a GPU when present unless told). {@link #step} reads in the order of the
 * official loop. Under bf16 mixed precision ({@link Precision}) the forward passes and the backward run on
 * bfloat16 {@link WorkingCopies} of the networks, and everything that persists stays float32.
 *
 * <p>Every array a step creates lives in that step's scope ({@link StepScope}) and is closed at its
 * end, so memory stays flat over any number of steps. {@link StudentGradients} clips and freezes the
 * gradients, {@link TargetEntropy} measures the targets for the collapse guard. The whole state serialises with {@link #saveState()} and
 * comes back bit for bit with {@link #loadState(byte[])}.
 *
 * <p>Not thread-safe: one thread steps a trainer. PyTorch allows one gradient collector per JVM,
 * so one trainer trains at a time per JVM.
 */
public final class DinoTrainer implements AutoCloseable {

    /**
     * The saved state's layout: 3 is safetensors with the scalars in its metadata; 1 and 2 (a
     * DataOutput layout; 2 added the images of skipped steps) are upgraded on load.
     */
    static final int STATE_VERSION = 3;
    static final String STATE_KIND = "dino-stream/trainer-state";
    // The state's metadata keys; optimiser update counts are "updates.<parameter>".
    static final String STATE_KIND_KEY = "dino_stream";
    static final String STATE_VERSION_KEY = "state_version";
    static final String STATE_MODEL_KEY = "model";
    static final String STATE_STEP_KEY = "step";
    static final String STATE_IMAGES_SEEN_KEY = "images_seen";
    static final String STATE_NON_FINITE_STEPS_KEY = "non_finite_steps";
    static final String STATE_IMAGES_SKIPPED_KEY = "images_skipped";
    static final String STATE_RANDOM_KEY = "random_state";
    static final String STATE_UPDATES_PREFIX = "updates.";

    private final TrainerConfig config;
    private final NDManager owner;
    private final MultiCropWrapper student;
    private final MultiCropWrapper teacher;
    private final DinoLoss dinoLoss;
    private final Optimizer optimizer;
    private final SeededRandom random;
    private final WorkingCopies copies;
    private long step;
    private long imagesSeen;
    private long nonFiniteSteps;
    private long imagesSkipped;

    /**
     * A fresh trainer on the config's device, resolved against the libtorch of this JVM.
     *
     * @throws IllegalStateException when that device or precision cannot run here; the message
     *     names the libtorch loaded and what to do
     */
    public DinoTrainer(TrainerConfig config) {
        this(config, config.device().resolve());
    }

    public DinoTrainer(TrainerConfig config, Device device) {
        this(config, device, config.precision() == Precision.BF16 ? config.precision().computeType() : null);
    }

    /**
     * A trainer whose passes run on working copies of type copies (null: on the masters). bf16 uses
     * bfloat16 copies; tests use float32 copies to check the copies' plumbing on the CPU, where
     * DJL 0.36 cannot make a bfloat16 tensor.
     */
    DinoTrainer(TrainerConfig config, Device device, DataType copies) {
        if (config.precision() != Precision.FP32) {
            config.precision().check(device, LibTorch.loaded());
        }
        this.config = config;
        this.owner = NDManager.newBaseManager(device, "PyTorch");
        this.random = new SeededRandom(config.seed());
        ParameterFactory factory = new ParameterFactory(owner, config.dataType(), random.nextLong());
        this.student = config.model().build(factory);
        // The official teacher is built without drop path (vits.__dict__[arch](patch_size)).
        this.teacher = config.model().withDropPath(0).build(factory);
        // teacher.load_state_dict(student.state_dict()): both start from the same weights.
        student.stateDict().forEach((name, value) -> Tensors.assign(teacher.stateDict().get(name), value));
        student.trainableParameters().values().forEach(p -> p.setRequiresGradient(true));
        this.dinoLoss =
                new DinoLoss(
                        owner,
                        config.dataType(),
                        config.model().outDim(),
                        config.globalViews(),
                        config.totalViews(),
                        config.studentTemp(),
                        config.centerMomentum());
        this.optimizer = config.optimizer().create(owner, student.trainableParameters());
        this.copies = copies == null ? null : new WorkingCopies(config.model(), owner, copies);
    }

    /**
     * One DINO step on a batch, in the order of main_dino.train_one_epoch. A step whose loss or
     * gradient is not finite changes no parameter, moment or center (BatchNorm running statistics
     * of that forward pass aside), is counted, and is reported with {@code applied = false}; the
     * official code stops the run instead.
     */
    public TrainingReport step(DinoBatch batch) {
        requireViews(batch);
        long started = System.nanoTime();
        long it = step;
        // update weight decay and learning rate according to their schedule
        DinoSchedules schedules = config.schedules();
        double lr = schedules.lr().valueAt(it);
        double weightDecay = schedules.weightDecay().valueAt(it);
        double momentum = schedules.teacherMomentum().valueAt(it);
        double teacherTemp = schedules.teacherTemp().valueAt(it);
        TrainingReport.Builder report = TrainingReport.builder().step(it).batchSize(batch.size())
                .lr(lr).weightDecay(weightDecay).teacherMomentum(momentum).teacherTemp(teacherTemp);

        try (StepScope scope = StepScope.open(owner)) {
            // the inputs in the type the networks compute in: the model's, or bfloat16 under bf16
            List<NDArray> images = scope.views(batch, copies == null ? config.dataType() : copies.computeType());
            // the networks the passes run through: the float32 masters, or their bfloat16 copies
            MultiCropWrapper studentNet = student;
            MultiCropWrapper teacherNet = teacher;
            if (copies != null) {
                copies.refresh(student, teacher);
                studentNet = copies.student();
                teacherNet = copies.teacher();
            }
            // teacher and student forward passes + compute dino loss
            // (only the global views pass through the teacher; no graph is recorded for it)
            List<NDArray> globalViews = images.subList(0, config.globalViews());
            MultiCropWrapper teacherPass = teacherNet;
            NDArray teacherOutput = Temporaries.freedAfter(
                    () -> inMasterType(teacherPass.forward(globalViews, true)));
            try (GradientCollector autograd = scope.recordGradients()) {
                // drop path draws of this step: a function of the seed and the step, so a restored
                // trainer repeats them
                if (studentNet.backbone() instanceof Backbone backbone) {
                    backbone.reseed(SeededRandom.forKey(config.seed(), "drop-path " + it).nextLong());
                }
                MultiCropWrapper.Forward studentOutput = studentNet.forwardWithFeatures(images, true);
                if (copies != null) {
                    copies.keepStatistics(student, teacher);
                }
                NDArray loss = dinoLoss.compute(studentOutput.output(), teacherOutput, teacherTemp);
                if (config.koleoWeight() > 0) {
                    loss = loss.add(koleo(studentOutput.features(), teacherOutput));
                }
                double lossValue = StepScope.item(loss);
                report.loss(lossValue);
                if (!Double.isFinite(lossValue)) {
                    return skipped(report, batch, started);
                }
                // student update
                autograd.backward(loss);
            }
            try (StudentGradients gradients = copies == null
                    ? StudentGradients.of(student)
                    : StudentGradients.of(studentNet, g -> copies.masterGradients(g, student))) {
                if (!gradients.finite()) {
                    return skipped(report, batch, started);
                }
                TargetEntropy entropy = TargetEntropy.of(teacherOutput, dinoLoss.center(), teacherTemp);
                // DINOLoss.update_center, once the step is known to apply
                dinoLoss.updateCenter(teacherOutput);
                if (config.clipGrad() > 0) {
                    gradients.clip(config.clipGrad());
                }
                if (it < schedules.freezeLastLayerSteps()) {
                    gradients.cancelLastLayer();
                }
                optimizer.step(gradients.byName(), lr, weightDecay);
                // EMA update for the teacher
                EmaTeacher.update(teacher, student, momentum);
                report.teacherEntropy(entropy.mean()).teacherBatchEntropy(entropy.ofBatchMean());
            }
            step++;
            imagesSeen += batch.size();
            return finish(report.applied(true), started);
        }
    }

    /** A network output in the masters' type (float32): the loss's softmax and the center run there. */
    private NDArray inMasterType(NDArray output) {
        return output.getDataType() == config.dataType() ? output : output.toType(config.dataType(), false);
    }

    private void requireViews(DinoBatch batch) {
        if (batch.viewCount() != config.totalViews()) {
            throw new IllegalArgumentException("batch has " + batch.viewCount() + " views per image, the trainer is"
                    + " configured for " + config.totalViews());
        }
    }

    /**
     * DINOv2's KoLeo term, weighted: on the student's backbone features of the global views (the
     * rows the teacher saw), each view apart.
     */
    private NDArray koleo(NDArray studentFeatures, NDArray teacherOutput) {
        NDArray globalFeatures = studentFeatures.get("0:" + teacherOutput.getShape().get(0));
        return KoLeoLoss.overViews(globalFeatures, config.globalViews(), config.koleoWeight());
    }

    /** A step left out for a non-finite loss or gradient: counted, its images taken but not trained on. */
    private TrainingReport skipped(TrainingReport.Builder report, DinoBatch batch, long started) {
        nonFiniteSteps++;
        imagesSkipped += batch.size();
        return finish(report.applied(false), started);
    }

    private TrainingReport finish(TrainingReport.Builder report, long started) {
        return report.imagesSeen(imagesSeen)
                .nonFiniteSteps(nonFiniteSteps)
                .seconds((System.nanoTime() - started) / 1e9)
                .build();
    }

    /** NDArrays alive on this trainer's manager tree: constant between steps unless something leaks. */
    public int liveArrayCount() {
        return owner.getManagedArrays().size();
    }

    public TrainerConfig config() {
        return config;
    }

    /** Steps applied so far; the index of the next step. */
    public long stepCount() {
        return step;
    }

    public long imagesSeen() {
        return imagesSeen;
    }

    public long nonFiniteSteps() {
        return nonFiniteSteps;
    }

    /** Images of the steps that were skipped for a non-finite loss or gradient: taken, never trained on. */
    public long imagesSkipped() {
        return imagesSkipped;
    }

    /** The student network; its tensors are owned by this trainer. */
    public MultiCropWrapper student() {
        return student;
    }

    /** The teacher network; its tensors are owned by this trainer. */
    public MultiCropWrapper teacher() {
        return teacher;
    }

    public DinoLoss loss() {
        return dinoLoss;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * The whole training state — counters, RNG, student, teacher (parameters and BatchNorm
     * statistics), optimiser moments and update counts, center — as a safetensors file: the tensors
     * by name ({@code student.*}, {@code teacher.*}, {@code adamw.*} or {@code sgd.*},
     * {@code loss.center}), the rest as header metadata. {@link #loadState} on a trainer of the same
     * config restores it exactly.
     */
    public byte[] saveState() {
        try (NDScope arrays = new NDScope()) {
            arrays.suppressNotUsedWarning();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put(STATE_KIND_KEY, STATE_KIND);
            meta.put(STATE_VERSION_KEY, Integer.toString(STATE_VERSION));
            meta.put(STATE_MODEL_KEY, config.model().toString());
            meta.put(STATE_STEP_KEY, Long.toString(step));
            meta.put(STATE_IMAGES_SEEN_KEY, Long.toString(imagesSeen));
            meta.put(STATE_NON_FINITE_STEPS_KEY, Long.toString(nonFiniteSteps));
            meta.put(STATE_IMAGES_SKIPPED_KEY, Long.toString(imagesSkipped));
            meta.put(STATE_RANDOM_KEY, Long.toString(random.state()));
            optimizer.updateCounts().forEach((name, n) -> meta.put(STATE_UPDATES_PREFIX + name, Long.toString(n)));
            return Safetensors.write(stateTensors(), meta);
        }
    }

    /**
     * Restores a state from {@link #saveState()}, or one saved by a build before states were
     * safetensors (upgraded by {@link LegacyTrainerState}); refuses one saved for another model or
     * optimiser, or by a newer build, saying what to do. Nothing changes when it refuses.
     */
    public void loadState(byte[] state) {
        byte[] current = LegacyTrainerState.isLegacy(state) ? LegacyTrainerState.upgrade(state) : state;
        Map<String, String> meta;
        try {
            meta = Safetensors.metadata(current);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("trainer state is truncated or corrupt: " + e.getMessage(), e);
        }
        if (!STATE_KIND.equals(meta.get(STATE_KIND_KEY))) {
            throw new IllegalArgumentException("not a DINO Stream trainer state (its metadata has no "
                    + STATE_KIND_KEY + " = " + STATE_KIND + ")");
        }
        long version = stateNumber(meta, STATE_VERSION_KEY);
        if (version > STATE_VERSION) {
            throw new IllegalArgumentException("trainer state version " + version + " was saved by a newer DINO Stream"
                    + "; this build reads up to " + STATE_VERSION + ": restore with the version that saved it or newer");
        }
        String model = meta.get(STATE_MODEL_KEY);
        if (!config.model().toString().equals(model)) {
            throw new IllegalArgumentException("the saved state is for model " + model + ", this trainer has "
                    + config.model() + ": restore with the model options it was trained with");
        }
        long savedStep = stateNumber(meta, STATE_STEP_KEY);
        long savedImagesSeen = stateNumber(meta, STATE_IMAGES_SEEN_KEY);
        long savedNonFiniteSteps = stateNumber(meta, STATE_NON_FINITE_STEPS_KEY);
        long savedImagesSkipped = stateNumber(meta, STATE_IMAGES_SKIPPED_KEY);
        long savedRandom = stateNumber(meta, STATE_RANDOM_KEY);
        Map<String, Long> counts = new LinkedHashMap<>();
        meta.forEach((key, value) -> {
            if (key.startsWith(STATE_UPDATES_PREFIX)) {
                counts.put(key.substring(STATE_UPDATES_PREFIX.length()), stateNumber(meta, key));
            }
        });
        try (NDManager scratch = owner.newSubManager();
                NDScope arrays = new NDScope()) {
            arrays.suppressNotUsedWarning();
            Map<String, NDArray> saved;
            try {
                saved = Safetensors.readArrays(current, scratch);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("trainer state is truncated or corrupt: " + e.getMessage(), e);
            }
            Map<String, NDArray> tensors = stateTensors();
            checkSameTensors(saved, tensors);
            if (!counts.keySet().equals(optimizer.updateCounts().keySet())) {
                throw new IllegalArgumentException("the saved state counts updates of " + counts.size()
                        + " parameters, this trainer has " + optimizer.updateCounts().size()
                        + ": restore with the model options it was trained with");
            }
            tensors.forEach((name, target) -> Tensors.assign(target, saved.get(name)));
            optimizer.restoreUpdateCounts(counts);
            step = savedStep;
            imagesSeen = savedImagesSeen;
            nonFiniteSteps = savedNonFiniteSteps;
            imagesSkipped = savedImagesSkipped;
            random.setState(savedRandom);
        }
    }

    /** Refuses a saved state whose tensors are not this trainer's, by name, dtype and shape. */
    private static void checkSameTensors(Map<String, NDArray> saved, Map<String, NDArray> tensors) {
        if (!saved.keySet().equals(tensors.keySet())) {
            List<String> unknown = new ArrayList<>(saved.keySet());
            unknown.removeAll(tensors.keySet());
            throw new IllegalArgumentException("the saved state has " + saved.size() + " tensors, this trainer "
                    + tensors.size() + (unknown.isEmpty() ? "" : " (unknown: " + unknown.get(0)
                    + (unknown.size() > 1 ? " and " + (unknown.size() - 1) + " more" : "") + ")")
                    + ": restore with the --train.optimizer it was trained with");
        }
        tensors.forEach((name, target) -> {
            NDArray value = saved.get(name);
            if (!value.getShape().equals(target.getShape()) || value.getDataType() != target.getDataType()) {
                throw new IllegalArgumentException("the saved state's " + name + " is " + value.getDataType()
                        + value.getShape() + ", this trainer's " + target.getDataType() + target.getShape()
                        + ": restore with the model options it was trained with");
            }
        });
    }

    private static long stateNumber(Map<String, String> meta, String key) {
        String value = meta.get(key);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("trainer state is truncated or corrupt: its " + key + " is "
                    + (value == null ? "missing" : "'" + value + "'"), e);
        }
    }

    /** Every tensor of the state by a unique name. */
    private Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        student.stateDict().forEach((k, v) -> out.put("student." + k, v));
        teacher.stateDict().forEach((k, v) -> out.put("teacher." + k, v));
        out.putAll(optimizer.stateTensors());
        out.put("loss.center", dinoLoss.center());
        return out;
    }

    /** The device the trainer's tensors live on. */
    public Device device() {
        return owner.getDevice();
    }

    @Override
    public void close() {
        if (copies != null) {
            copies.close();
        }
        owner.close();
    }
}
