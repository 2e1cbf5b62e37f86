package io.dinostream.monitor;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.dinostream.features.Embedder;
import io.dinostream.features.Features;
import io.dinostream.features.KnnClassifier;
import io.dinostream.features.KnnResult;
import io.dinostream.model.Backbone;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.NativeCalls;
import io.dinostream.publish.CheckpointLoader;
import io.dinostream.publish.CorruptCheckpointException;
import io.dinostream.types.DecodedImage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores a snapshot's teacher on a {@link ProbeSet}: the backbone is rebuilt from the teacher's
 * safetensors bytes (strictly, as {@link CheckpointLoader} does for a published file), the probes
 * are embedded as {@link Embedder} does (eval-mode BatchNorm, no autograd), and scored by the
 * official weighted k-NN (k 20, T 0.07) leave-one-out over the probe set: every probe is
 * classified by its nearest other probes. The tensors are freed before it returns.
 */
public final class ProbeScorer {

    /** Fewest probes, and classes among them, worth a score. */
    public static final int MIN_PROBES = 10;
    public static final int MIN_CLASSES = 2;

    /** Keys of the evaluation map attached to a snapshot and written to its manifest. */
    public static final String TOP1 = "probe_knn_top1";
    public static final String TOP5 = "probe_knn_top5";
    public static final String SIZE = "probe_size";
    public static final String CLASSES = "probe_classes";
    public static final String K = "probe_knn_k";
    public static final String TEMPERATURE = "probe_knn_temperature";
    public static final String SECONDS = "probe_seconds";

    private final ModelSpec spec;
    private final int side;
    private final Device device;

    /** A scorer on the CPU. */
    public ProbeScorer(ModelSpec spec, int side) {
        this(spec, side, Device.cpu());
    }

    /**
     * @param spec the trained network, to rebuild its backbone
     * @param side the global crop side: images are embedded at side × side
     * @param device where the backbone runs (the trainer's, {@code --train.device})
     */
    public ProbeScorer(ModelSpec spec, int side, Device device) {
        this.spec = spec;
        this.side = side;
        this.device = device;
    }

    /** Where the backbone runs. */
    public Device device() {
        return device;
    }

    /** Whether the probe set is large and varied enough to score. */
    public static boolean canScore(ProbeSet probes) {
        return probes.size() >= MIN_PROBES && probes.classes() >= MIN_CLASSES;
    }

    /**
     * Leave-one-out k-NN accuracy of the teacher's backbone features over the probes.
     *
     * <p>Runs libtorch on this thread alone (one intra-op thread), the k-NN's matrix product
     * included. A second thread running parallel libtorch ops beside the trainer gives libgomp more
     * threads than cores, and from then on libgomp barely spins between parallel regions: every
     * small op of every training step waits for a futex wake-up. On 2 cores that cost the trainer
     * 30 % of its throughput for the rest of the run (measured: 113 against 160 images/s).
     * libtorch's thread count is per thread once a thread has started, but new threads take the
     * process-wide value, so it is set back when scoring ends.
     */
    public KnnResult score(byte[] teacherSafetensors, List<DecodedImage> probes) throws CorruptCheckpointException {
        int threads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        try {
            float[][] rows = NativeCalls.call(() -> {
                try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
                    Backbone backbone = CheckpointLoader.backbone(teacherSafetensors, spec, manager,
                            "the snapshot's teacher");
                    Embedder embedder = new Embedder(backbone, manager, side, backbone.outputDim(),
                            Embedder.DEFAULT_BATCH_SIZE);
                    return embedder.embed(probes.stream().map(DecodedImage::image).toList());
                }
            });
            String[] labels = probes.stream().map(DecodedImage::label).toArray(String[]::new);
            return score(new Features(rows, labels));
        } finally {
            JniUtils.setNumThreads(threads);
        }
    }

    /**
     * The probe score of embedded probes: leave-one-out weighted k-NN with eval_knn.py's defaults
     * (k {@value KnnClassifier#DEFAULT_K}, T {@value KnnClassifier#DEFAULT_TEMPERATURE}), each probe
     * classified by its nearest other probes.
     */
    public static KnnResult score(Features probes) {
        return new KnnClassifier(probes).evaluateLeaveOneOut();
    }

    /** The evaluation map of a result: the keys above. */
    public static Map<String, Double> evaluation(KnnResult r, int classes, double seconds) {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put(TOP1, r.top1());
        out.put(TOP5, r.top5());
        out.put(SIZE, (double) r.queries());
        out.put(CLASSES, (double) classes);
        out.put(K, (double) r.k());
        out.put(TEMPERATURE, r.temperature());
        out.put(SECONDS, seconds);
        return out;
    }
}
