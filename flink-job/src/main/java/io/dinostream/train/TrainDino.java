package io.dinostream.train;

import io.dinostream.types.CropSet;
import io.dinostream.types.ModelSnapshot;
import io.dinostream.types.StreamTypes;
import io.dinostream.types.TrainingReport;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Supplier;

/**
 * The trainer operator (parallelism 1): crop sets in, {@link TrainingReport}s out, and
 * {@link ModelSnapshot}s on the {@link #SNAPSHOTS} side output for the publisher. Its whole state —
 * models, optimiser, center, step, RNG, waiting crop sets, offsets — is Flink operator state, so a
 * restore from a checkpoint or savepoint resumes exactly. Metrics (loss, lr, weight decay, teacher
 * momentum and temperature, teacher entropy, images/s, step, last snapshot step, the step restored
 * at the task's start, crop sets waiting for a batch) appear on the
 * operator in the Flink dashboard, and a progress line goes to the log every 10 s. A
 * {@link CollapseGuard} sets the {@code collapse} gauge and warns when the targets collapse. A
 * {@link StepWatchdog} fails the task when a step stalls (gauges {@code stepSeconds},
 * {@code medianStepSeconds}, {@code stallLimitSeconds}).
 */
public final class TrainDino extends AbstractStreamOperator<TrainingReport>
        implements OneInputStreamOperator<CropSet, TrainingReport>, BoundedOneInput {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TrainDino.class);
    private static final Logger PROGRESS = LoggerFactory.getLogger("io.dinostream.progress");
    private static final long PROGRESS_INTERVAL_NANOS = 10_000_000_000L;
    private static final long COLLAPSE_WARNING_INTERVAL_NANOS = 300_000_000_000L;

    public static final OutputTag<ModelSnapshot> SNAPSHOTS =
            new OutputTag<>("model-snapshots", StreamTypes.MODEL_SNAPSHOT);

    private final TrainerConfig config;
    private final StreamingTrainer.Policy policy;
    private final StepWatchdog.Limits watchdogLimits;

    private transient StreamingTrainer trainer;
    private transient StepWatchdog watchdog;
    private transient ListState<byte[]> state;
    private transient volatile TrainingReport last;
    private transient volatile double imagesPerSecond;
    private transient long windowStartNanos;
    private transient long windowStartImages;
    private transient IdleShare idle;
    private transient long lastProgressNanos;
    private transient CollapseGuard guard;
    private transient CollapseGuard.Status collapse;
    private transient long lastCollapseWarningNanos;
    private transient long restoredStep;

    public TrainDino(TrainerConfig config, StreamingTrainer.Policy policy, StepWatchdog.Limits watchdogLimits) {
        this.config = config;
        this.policy = policy;
        this.watchdogLimits = watchdogLimits;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        state = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("dino-trainer", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        // The step that stalls holds the task thread, so the watchdog's own thread fails the task.
        watchdog = StepWatchdog.start(watchdogLimits, stalled -> {
            LOG.error(stalled.getMessage());
            getContainingTask().getEnvironment().failExternally(stalled);
        });
        // Flink's processing time: the wall clock in a job, a clock the test harness sets in tests.
        trainer = new StreamingTrainer(config, policy, watchdog, getProcessingTimeService()::getCurrentProcessingTime);
        LOG.info("DINO trainer on {} ({} precision; --train.device {})", trainer.trainer().device(),
                config.precision(), config.device());
        restoredStep = -1;
        if (context.isRestored()) {
            for (byte[] saved : state.get()) {
                trainer.loadState(saved);
                restoredStep = trainer.trainer().stepCount();
                LOG.info("restored DINO trainer at step {} ({} images seen, {} crop sets waiting)",
                        trainer.trainer().stepCount(), trainer.trainer().imagesSeen(), trainer.pendingCount());
            }
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        MetricGroup m = getMetricGroup();
        idle = new IdleShare(5);
        gauge(m, "loss", () -> last == null ? Double.NaN : last.loss());
        gauge(m, "lr", () -> last == null ? Double.NaN : last.lr());
        gauge(m, "weightDecay", () -> last == null ? Double.NaN : last.weightDecay());
        gauge(m, "teacherMomentum", () -> last == null ? Double.NaN : last.teacherMomentum());
        gauge(m, "teacherTemp", () -> last == null ? Double.NaN : last.teacherTemp());
        gauge(m, "teacherEntropy", () -> last == null ? Double.NaN : last.teacherEntropy());
        gauge(m, "teacherBatchEntropy", () -> last == null ? Double.NaN : last.teacherBatchEntropy());
        gauge(m, "imagesPerSecond", () -> imagesPerSecond);
        gauge(m, "idleShare", idle::value);
        m.gauge("step", (Gauge<Long>) () -> trainer.trainer().stepCount());
        m.gauge("imagesSeen", (Gauge<Long>) () -> trainer.trainer().imagesSeen());
        m.gauge("nonFiniteSteps", (Gauge<Long>) () -> trainer.trainer().nonFiniteSteps());
        m.gauge("imagesSkipped", (Gauge<Long>) () -> trainer.trainer().imagesSkipped());
        m.gauge("imagesReplayed", (Gauge<Long>) () -> trainer.replayedCount());
        m.gauge("lastSnapshotStep", (Gauge<Long>) () -> trainer.lastSnapshotStep());
        // where this run of the task started: the step of the checkpoint or savepoint it restored, -1 for none
        m.gauge("restoredStep", (Gauge<Long>) () -> restoredStep);
        // crop sets waiting for a full batch: with imagesSeen and imagesSkipped, every image the trainer took
        m.gauge("pendingImages", (Gauge<Integer>) () -> trainer.pendingCount());
        gauge(m, "stepSeconds", watchdog::currentStepSeconds);
        gauge(m, "medianStepSeconds", watchdog::medianStepSeconds);
        gauge(m, "stallLimitSeconds", watchdog::limitSeconds);
        windowStartNanos = System.nanoTime();
        windowStartImages = trainer.trainer().imagesSeen();
        lastProgressNanos = windowStartNanos;
        guard = new CollapseGuard(config.model().outDim(), 20, 20); // judge from step 20 on
        collapse = CollapseGuard.Status.HEALTHY;
        m.gauge("collapse", (Gauge<Integer>) () -> collapse.code());
    }

    private static void gauge(MetricGroup group, String name, Supplier<Double> value) {
        group.gauge(name, (Gauge<Double>) value::get);
    }

    @Override
    public void processElement(StreamRecord<CropSet> element) {
        trainer.accept(element.getValue(), this::report, this::emitSnapshot);
    }

    @Override
    public void endInput() {
        trainer.endOfInput(this::report, this::emitSnapshot);
    }

    private void report(TrainingReport report) {
        last = report;
        long now = System.nanoTime();
        idle.stepEnded(now, report.seconds());
        double elapsed = (now - windowStartNanos) / 1e9;
        if (elapsed >= 5 || imagesPerSecond == 0) {
            imagesPerSecond = (report.imagesSeen() - windowStartImages) / elapsed;
            windowStartNanos = now;
            windowStartImages = report.imagesSeen();
        }
        if (!report.applied()) {
            LOG.warn("step {}: loss or gradient is not finite (loss {}), the model was not updated"
                    + " ({} such steps so far)", report.step(), report.loss(), report.nonFiniteSteps());
        }
        CollapseGuard.Status status = guard.update(report);
        if (status != CollapseGuard.Status.HEALTHY
                && (status != collapse || now - lastCollapseWarningNanos >= COLLAPSE_WARNING_INTERVAL_NANOS)) {
            LOG.warn("step {}: {}", report.step() + 1, guard.explain());
            lastCollapseWarningNanos = now;
        } else if (status == CollapseGuard.Status.HEALTHY && collapse != CollapseGuard.Status.HEALTHY) {
            LOG.info("step {}: teacher targets are healthy again", report.step() + 1);
        }
        collapse = status;
        if (now - lastProgressNanos >= PROGRESS_INTERVAL_NANOS) {
            lastProgressNanos = now;
            PROGRESS.info(progressLine(report, imagesPerSecond, idle.value(), trainer.lastSnapshotStep(),
                    config.model().outDim())
                    + (status == CollapseGuard.Status.HEALTHY ? "" : "  COLLAPSE: " + status));
        }
        output.collect(new StreamRecord<>(report));
    }

    private void emitSnapshot(ModelSnapshot snapshot) {
        LOG.info("snapshot of step {} ({} images seen) goes to the publisher", snapshot.step(), snapshot.imagesSeen());
        output.collect(SNAPSHOTS, new StreamRecord<>(snapshot));
    }

    /**
     * The progress line: step, loss, lr, teacher entropy against ln K, images/s, the trainer's idle
     * share ({@link IdleShare}), last snapshot.
     */
    public static String progressLine(TrainingReport r, double imagesPerSecond, double idleShare,
            long lastSnapshotStep, int prototypes) {
        return String.format(
                "step %d  loss %.4f  lr %.2e  teacher entropy %.2f (batch mean %.2f) / ln K %.2f  %.1f images/s%s  last checkpoint %s  (%d images seen%s)",
                r.step() + 1, r.loss(), r.lr(), r.teacherEntropy(), r.teacherBatchEntropy(), Math.log(prototypes),
                imagesPerSecond,
                Double.isNaN(idleShare) ? "" : String.format("  trainer idle %.0f %%", 100 * idleShare),
                lastSnapshotStep < 0 ? "none yet" : "step " + lastSnapshotStep, r.imagesSeen(),
                r.nonFiniteSteps() > 0 ? ", " + r.nonFiniteSteps() + " non-finite steps skipped" : "");
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        state.update(List.of(trainer.saveState()));
    }

    @Override
    public void close() throws Exception {
        if (watchdog != null) {
            watchdog.close();
        }
        if (trainer != null) {
            trainer.close();
        }
        super.close();
    }
}
