package io.dinostream.monitor;

import io.dinostream.datasets.ImageSource;
import io.dinostream.datasets.ImageSources;
import io.dinostream.features.KnnResult;
import io.dinostream.model.DeviceChoice;
import io.dinostream.model.ModelSpec;
import io.dinostream.publish.CorruptCheckpointException;
import io.dinostream.types.DecodedImage;
import io.dinostream.types.ModelSnapshot;
import io.dinostream.types.StreamTypes;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The online k-NN monitor (parallelism 1), between the trainer and the publisher: model snapshots
 * on the first input, labelled probe images on the second. Each snapshot's teacher is scored on
 * the {@link ProbeSet} with {@link ProbeScorer} (leave-one-out weighted k-NN, k 20, T 0.07) and
 * passed on with the result attached, so it lands in the checkpoint's manifest
 * ({@code evaluation}); the result also sets the gauges {@code probeTop1}, {@code probeTop5},
 * {@code probeSize} and {@code probeStep} and is logged on the progress logger. A snapshot is never
 * held back or lost because of the monitor: when the probe set is too small, or scoring fails, the
 * snapshot goes on without a score and the reason is logged.
 *
 * <p>Probes come either from the stream (images {@link HoldOutProbes} kept out of training; the
 * set is operator state, so it survives restarts) or from files named by an image-source spec
 * (loaded when the operator starts; the probe input then carries nothing).
 */
public final class ProbeMonitor extends AbstractStreamOperator<ModelSnapshot>
        implements TwoInputStreamOperator<ModelSnapshot, DecodedImage, ModelSnapshot> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ProbeMonitor.class);
    private static final Logger PROGRESS = LoggerFactory.getLogger("io.dinostream.progress");

    /** {@code monitor.probe} value for probes held out of the stream. */
    public static final String FROM_STREAM = "stream";

    private final String probeSource;
    private final int capacity;
    private final ModelSpec spec;
    private final int side;
    private final DeviceChoice device;

    private transient ProbeSet probes;
    private transient ProbeScorer scorer;
    private transient ListState<DecodedImage> probeState;
    private transient ListState<Long> offeredState;
    private transient volatile KnnResult last;
    private transient volatile long lastStep;

    /**
     * @param probeSource {@value #FROM_STREAM}, or an image-source spec ({@link ImageSources}) of
     *     labelled files
     * @param capacity most probes kept
     * @param spec the trained network
     * @param side the global crop side the backbone embeds at
     * @param device where the backbone runs: the trainer's {@code --train.device}
     */
    public ProbeMonitor(String probeSource, int capacity, ModelSpec spec, int side, DeviceChoice device) {
        this.probeSource = probeSource;
        this.capacity = capacity;
        this.spec = spec;
        this.side = side;
        this.device = device;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        probes = new ProbeSet(capacity, side);
        scorer = new ProbeScorer(spec, side, device.resolve());
        LOG.info("probe monitor embeds on {}", scorer.device());
        probeState = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("probes", StreamTypes.DECODED_IMAGE));
        offeredState = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("probes-offered", Types.LONG));
        if (!FROM_STREAM.equals(probeSource)) {
            loadFiles();
        } else if (context.isRestored()) {
            List<DecodedImage> saved = new ArrayList<>();
            probeState.get().forEach(saved::add);
            long offered = 0;
            for (Long n : offeredState.get()) {
                offered += n;
            }
            probes.restore(saved, offered);
            LOG.info("restored {} probe images ({} offered so far)", probes.size(), probes.offered());
        }
    }

    private void loadFiles() {
        int skipped;
        try (ImageSource source = ImageSources.open(probeSource, 0)) {
            skipped = probes.fill(source);
        }
        LOG.info("loaded {} probe images of {} classes from {}{}", probes.size(), probes.classes(), probeSource,
                skipped > 0 ? " (" + skipped + " could not be decoded)" : "");
    }

    @Override
    public void open() throws Exception {
        super.open();
        MetricGroup m = getMetricGroup();
        m.gauge("probeTop1", (Gauge<Double>) () -> last == null ? Double.NaN : last.top1());
        m.gauge("probeTop5", (Gauge<Double>) () -> last == null ? Double.NaN : last.top5());
        m.gauge("probeSize", (Gauge<Integer>) () -> probes.size());
        m.gauge("probeStep", (Gauge<Long>) () -> lastStep);
        lastStep = -1;
    }

    @Override
    public void processElement1(StreamRecord<ModelSnapshot> element) {
        ModelSnapshot snapshot = element.getValue();
        output.collect(element.replace(score(snapshot)));
    }

    @Override
    public void processElement2(StreamRecord<DecodedImage> element) {
        probes.offer(element.getValue());
    }

    /** The snapshot with its probe score attached, or unchanged when it cannot be scored. */
    private ModelSnapshot score(ModelSnapshot snapshot) {
        if (!ProbeScorer.canScore(probes)) {
            LOG.info("step {}: no probe score yet: {} probe images of {} classes (k-NN needs {} of {} or more)",
                    snapshot.step(), probes.size(), probes.classes(), ProbeScorer.MIN_PROBES,
                    ProbeScorer.MIN_CLASSES);
            return snapshot;
        }
        long started = System.nanoTime();
        try {
            KnnResult r = scorer.score(snapshot.teacher(), probes.probes());
            double seconds = (System.nanoTime() - started) / 1e9;
            Map<String, Double> evaluation = ProbeScorer.evaluation(r, probes.classes(), seconds);
            last = r;
            lastStep = snapshot.step();
            PROGRESS.info(String.format("checkpoint step %d: probe k-NN top-1 %.2f %%  top-5 %.2f %%  (%d %s images,"
                            + " %d classes, k %d, leave-one-out, %.1f s)", snapshot.step(), r.top1(), r.top5(),
                    r.queries(), FROM_STREAM.equals(probeSource) ? "held-out" : "probe", probes.classes(), r.k(),
                    seconds));
            return snapshot.withEvaluation(evaluation);
        } catch (CorruptCheckpointException | RuntimeException e) {
            LOG.warn("step {}: could not score the probe set; publishing without a score: {}", snapshot.step(),
                    e.toString());
            return snapshot;
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (FROM_STREAM.equals(probeSource)) {
            probeState.update(probes.probes());
            offeredState.update(List.of(probes.offered()));
        }
    }
}
