package io.dinostream.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.config.PassThrough;
import io.dinostream.datasets.IdxSource;
import io.dinostream.eval.LinePlot;
import io.dinostream.eval.RawPixelBaseline;
import io.dinostream.features.Embedder;
import io.dinostream.features.Features;
import io.dinostream.features.KnnClassifier;
import io.dinostream.features.KnnResult;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.ingest.RejectedImageException;
import io.dinostream.local.Demo;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.MultiCropWrapper;
import io.dinostream.model.ParameterFactory;
import io.dinostream.model.ResNet;
import io.dinostream.monitor.ProbeScorer;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.CheckpointLoader;
import io.dinostream.publish.FileObjectStore;
import io.dinostream.publish.LoadedCheckpoint;
import io.dinostream.publish.Manifest;
import io.dinostream.types.RgbImage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bench-quality}: how good the stream's features get within a wall-clock budget, measured
 * as the DINO paper does. Streams Fashion-MNIST's training images through the embedded Kafka into
 * the job (the demo's stack) for {@code --minutes}, publishing a checkpoint every minute; then
 * embeds bank = the first 10,000 training images and queries = the 10,000 test images with each
 * checkpoint's teacher backbone and scores them with the official k-NN protocol (k 20, T 0.07).
 * Two baselines on the same protocol: raw 32×32 pixels and the randomly initialised backbone.
 * The job's online monitor scores each checkpoint too (leave-one-out over the images it held out);
 * its number is shown beside the offline one.
 * Writes quality.csv, quality.md and two PNG plots (top-1 against wall time and images seen).
 */
public final class QualityBenchmark {

    private static final String DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

    static final Option<Double> MINUTES = Option.number("minutes", "10",
            "training budget in wall-clock minutes (0: only evaluate --workdir)");
    static final Option<String> DATA = Option.text("data", DEBIAN_FASHION_MNIST,
            "folder with Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist)");
    static final Option<String> WORKDIR = Option.text("workdir", "bench-quality-work",
            "where the run's Kafka, checkpoints and results go");
    static final Option<Long> PUBLISH_SECONDS = Option.wholeNumber("publish-seconds", "60", "seconds between checkpoints");
    static final Option<Double> RATE = Option.number("rate", "400",
            "images per second the producer offers (above what the trainer takes, so it never waits)");
    static final Option<Integer> BANK = Option.integer("bank", "10000", "k-NN bank: the first N training images");
    static final Option<Integer> QUERIES = Option.integer("queries", "10000", "k-NN queries: the first N test images");
    static final Option<String> LABEL = Option.text("label", "", "name of this run in the results");

    /** Ours, and dotted names (--model.width …): job options for the training run. */
    static final OptionSet OPTIONS = OptionSet.of("bench-quality: train on Fashion-MNIST for a wall-clock budget, then"
                    + " score every checkpoint with k-NN", MINUTES, DATA, WORKDIR, PUBLISH_SECONDS, RATE, BANK, QUERIES,
                    LABEL)
            .passing(PassThrough.claiming(name -> name.contains("."))
                    .help("<job option>", "any job option (see job --help), e.g. --model.width 32"));

    private QualityBenchmark() {}

    public static int run(List<String> args) throws Exception {
        OptionValues given = OPTIONS.parseArgs(args);
        if (given == null) {
            System.out.println(OPTIONS.help());
            return 0;
        }
        Path data = Path.of(given.get(DATA));
        if (!Files.isDirectory(data)) {
            System.err.println("Fashion-MNIST not found at " + data + ". On Debian: apt-get install dataset-fashion-mnist"
                    + " (it installs to " + DEBIAN_FASHION_MNIST + "), or pass --data FOLDER with the IDX files.");
            return 2;
        }
        Path workdir = Path.of(given.get(WORKDIR)).toAbsolutePath();
        if (given.get(MINUTES) > 0) {
            List<String> demo = new ArrayList<>(List.of("--dataset", "idx:" + data, "--max-minutes", given.text(MINUTES),
                    "--rate", given.text(RATE), "--loop", "true", "--workdir", workdir.toString(), "--web-port", "0",
                    "--publish.every-seconds", given.text(PUBLISH_SECONDS), "--publish.every-steps", "0"));
            given.passedThrough().forEach((name, value) -> demo.add("--" + name + "=" + value));
            int rc = Demo.run(demo);
            if (rc != 0) {
                return rc;
            }
        }
        return evaluate(workdir, data, given.get(BANK), given.get(QUERIES), given.get(LABEL));
    }

    private static int evaluate(Path workdir, Path data, int bankSize, int querySize, String label) throws Exception {
        Path checkpoints = workdir.resolve("s3").resolve("dino-stream").resolve("checkpoints");
        Path out = workdir.resolve("quality");
        Files.createDirectories(out);
        Labeled bank = load(IdxSource.open(data.resolve("train-images-idx3-ubyte.gz"),
                data.resolve("train-labels-idx1-ubyte.gz")), bankSize);
        Labeled queries = load(IdxSource.open(data.resolve("t10k-images-idx3-ubyte.gz"),
                data.resolve("t10k-labels-idx1-ubyte.gz")), querySize);

        KnnResult pixels = knn(RawPixelBaseline.fromImages(bank.images, bank.labels, 32),
                RawPixelBaseline.fromImages(queries.images, queries.labels, 32));
        System.out.printf("raw 32x32 pixels: top-1 %.2f%%, top-5 %.2f%%%n", pixels.top1(), pixels.top5());

        List<Row> rows = new ArrayList<>();
        KnnResult random = null;
        Instant started = null;
        try (FileObjectStore store = new FileObjectStore(checkpoints)) {
            List<Long> steps = store.list("step-").stream()
                    .filter(k -> k.endsWith("/manifest.json"))
                    .map(k -> Long.parseLong(k.substring("step-".length(), k.indexOf('/'))))
                    .sorted()
                    .toList();
            if (steps.isEmpty()) {
                System.err.println("no checkpoints under " + checkpoints + ": run with --minutes > 0 first");
                return 1;
            }
            for (long step : steps) {
                try (LoadedCheckpoint ckpt = CheckpointLoader.load(store, Long.toString(step))) {
                    if (random == null) {
                        random = randomBaseline(ckpt, bank, queries);
                        System.out.printf("random-init backbone: top-1 %.2f%%, top-5 %.2f%%%n", random.top1(), random.top5());
                    }
                    Manifest m = ckpt.manifest();
                    Instant created = m.createdAt();
                    if (started == null) {
                        started = jobStart(workdir, created);
                    }
                    Embedder embedder = new Embedder(ckpt);
                    KnnResult r = knn(features(embedder, bank), features(embedder, queries));
                    double probe = m.evaluation().getOrDefault(ProbeScorer.TOP1, Double.NaN);
                    Row row = new Row(step, m.imagesSeen(),
                            (created.toEpochMilli() - started.toEpochMilli()) / 60000.0, r, probe);
                    rows.add(row);
                    System.out.printf("step %d (%.1f min, %d images): top-1 %.2f%%, top-5 %.2f%%%n", row.step,
                            row.minutes, row.images, r.top1(), r.top5());
                }
            }
        }
        write(out, rows, pixels, random, label);
        return 0;
    }

    private record Labeled(List<RgbImage> images, List<String> labels) {}

    /** One checkpoint: its k-NN result, and the online monitor's score from its manifest (NaN: none). */
    private record Row(long step, long images, double minutes, KnnResult knn, double probeTop1) {}

    private static Labeled load(IdxSource source, int limit) throws RejectedImageException {
        List<RgbImage> images = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        try (source) {
            while (source.hasNext() && images.size() < limit) {
                ImageEvent e = source.next();
                images.add(ImageDecoder.decode(e, DecodeLimits.defaults()));
                labels.add(e.getLabel());
            }
        }
        return new Labeled(images, labels);
    }

    private static Features features(Embedder embedder, Labeled set) {
        return new Features(embedder.embed(set.images), set.labels.toArray(new String[0]));
    }

    private static KnnResult knn(Features bank, Features queries) {
        return new KnnClassifier(bank).evaluate(queries);
    }

    /** The same backbone, freshly initialised (seed 0), in eval mode. */
    private static KnnResult randomBaseline(LoadedCheckpoint trained, Labeled bank, Labeled queries) {
        ModelSpec spec = trained.modelSpec();
        try (NDManager manager = NDManager.newBaseManager()) {
            MultiCropWrapper net = spec.build(new ParameterFactory(manager, DataType.FLOAT32, 0));
            ResNet backbone = (ResNet) net.backbone();
            Embedder embedder = new Embedder(backbone, manager, trained.globalSize(), backbone.outputDim(),
                    Embedder.DEFAULT_BATCH_SIZE);
            return knn(features(embedder, bank), features(embedder, queries));
        }
    }

    /** When the job started: recorded by the demo, else the first checkpoint's time. */
    private static Instant jobStart(Path workdir, Instant firstCheckpoint) throws IOException {
        Path marker = workdir.resolve(Demo.STARTED_MARKER);
        return Files.exists(marker) ? Instant.parse(Files.readString(marker).trim()) : firstCheckpoint;
    }

    private static void write(Path out, List<Row> rows, KnnResult pixels, KnnResult random, String label)
            throws IOException {
        StringBuilder csv = new StringBuilder("run,step,minutes,images_seen,top1,top5,online_probe_top1\n");
        StringBuilder md = new StringBuilder("| step | minutes | images seen | top-1 % | top-5 % | online probe top-1 % |\n"
                + "|---|---|---|---|---|---|\n");
        double[] minutes = new double[rows.size()];
        double[] images = new double[rows.size()];
        double[] top1 = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            String probe = Double.isNaN(r.probeTop1) ? "" : String.format("%.2f", r.probeTop1);
            csv.append(String.format("%s,%d,%.2f,%d,%.2f,%.2f,%s%n", label, r.step, r.minutes, r.images, r.knn.top1(),
                    r.knn.top5(), probe));
            md.append(String.format("| %d | %.1f | %d | %.2f | %.2f | %s |%n", r.step, r.minutes, r.images,
                    r.knn.top1(), r.knn.top5(), probe.isEmpty() ? "–" : probe));
            minutes[i] = r.minutes;
            images[i] = r.images;
            top1[i] = r.knn.top1();
        }
        md.append(String.format("%nBaselines on the same protocol: raw 32x32 pixels %.2f / %.2f, random-init backbone %.2f / %.2f (top-1 / top-5 %%).%n",
                pixels.top1(), pixels.top5(), random.top1(), random.top5()));
        Files.writeString(out.resolve("quality.csv"), csv, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("quality.md"), md, StandardCharsets.UTF_8);
        new LinePlot("Fashion-MNIST k-NN top-1 (k=20, T=0.07) " + label, "wall-clock minutes of training", "top-1 %")
                .series("DINO Stream teacher", minutes, top1)
                .reference("raw 32x32 pixels", pixels.top1())
                .reference("random-init backbone", random.top1())
                .write(out.resolve("top1-vs-minutes.png"));
        new LinePlot("Fashion-MNIST k-NN top-1 (k=20, T=0.07) " + label, "images seen", "top-1 %")
                .series("DINO Stream teacher", images, top1)
                .reference("raw 32x32 pixels", pixels.top1())
                .reference("random-init backbone", random.top1())
                .write(out.resolve("top1-vs-images.png"));
        System.out.println(md);
        System.out.println("results: " + out.resolve("quality.md") + ", " + out.resolve("quality.csv") + ", "
                + out.resolve("top1-vs-minutes.png") + ", " + out.resolve("top1-vs-images.png"));
    }
}
