package io.dinostream.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.config.PassThrough;
import io.dinostream.datasets.IdxSource;
import io.dinostream.datasets.StreamOrder;
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
import io.dinostream.model.Backbone;
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
    static final Option<String> ORDER = Option.text("order", "shuffled", "stream order(s) of the training images,"
            + " comma-separated: " + StreamOrder.FORMS + "; several orders run one after another, each in a"
            + " subfolder of --workdir, and one figure shows them all");
    static final Option<Long> STEPS = Option.wholeNumber("steps", "0", "a step budget instead of --minutes: train"
            + " N steps (the same work whatever else runs on the machine), a checkpoint every N/--checkpoints steps"
            + " (0: the wall-clock budget)").nonNegative();
    static final Option<Integer> CHECKPOINTS = Option.integer("checkpoints", "10",
            "checkpoints over a --steps budget").positive();
    static final Option<List<String>> COMBINE = Option.list("combine", "", "only plot: run folders (each with"
            + " quality/quality.csv) drawn together into --workdir/orders-top1*.png");

    /** Ours, and dotted names (--model.width …): job options for the training run. */
    static final OptionSet OPTIONS = OptionSet.of("bench-quality: train on Fashion-MNIST for a wall-clock budget, then"
                    + " score every checkpoint with k-NN", MINUTES, DATA, WORKDIR, PUBLISH_SECONDS, RATE, BANK, QUERIES,
                    LABEL, ORDER, STEPS, CHECKPOINTS, COMBINE)
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
        if (!given.get(COMBINE).isEmpty()) {
            List<Path> runs = given.get(COMBINE).stream().map(Path::of).toList();
            return combine(workdir, runs, given.get(LABEL));
        }
        List<String> orders = List.of(given.get(ORDER).split(","));
        orders.forEach(StreamOrder::parse); // a bad order fails before anything runs
        List<Path> runs = new ArrayList<>();
        for (String order : orders) {
            Path dir = orders.size() == 1 ? workdir : workdir.resolve(order.strip().replace(':', '-'));
            String label = (given.get(LABEL) + (orders.size() == 1 && !given.get(LABEL).isEmpty() ? "" : " " + order.strip()))
                    .strip();
            long steps = given.get(STEPS);
            if (given.get(MINUTES) > 0 || steps > 0) {
                List<String> demo = new ArrayList<>(List.of("--dataset", "idx:" + data, "--rate", given.text(RATE),
                        "--loop", "true", "--order", order.strip(), "--workdir", dir.toString(), "--web-port", "0"));
                if (steps > 0) {
                    demo.addAll(List.of("--max-steps", Long.toString(steps), "--publish.every-steps",
                            Long.toString(Math.max(1, steps / given.get(CHECKPOINTS))), "--publish.every-seconds", "0"));
                } else {
                    demo.addAll(List.of("--max-minutes", given.text(MINUTES), "--publish.every-seconds",
                            given.text(PUBLISH_SECONDS), "--publish.every-steps", "0"));
                }
                given.passedThrough().forEach((name, value) -> demo.add("--" + name + "=" + value));
                int rc = Demo.run(demo);
                if (rc != 0) {
                    return rc;
                }
            }
            int rc = evaluate(dir, data, given.get(BANK), given.get(QUERIES), label);
            if (rc != 0) {
                return rc;
            }
            runs.add(dir);
        }
        return runs.size() > 1 ? combine(workdir, runs, given.get(LABEL)) : 0;
    }

    /**
     * One figure for several runs (orders, replay settings): top-1 against images trained on, against
     * new images (replays not counted), and the first classes' top-1 against images, from each run's
     * quality/quality.csv; baselines from the first run that recorded them.
     */
    static int combine(Path workdir, List<Path> runs, String title) throws IOException {
        Files.createDirectories(workdir);
        LinePlot all = new LinePlot("Fashion-MNIST k-NN top-1 by stream order " + title, "images trained on", "top-1 %");
        LinePlot fresh = new LinePlot("Fashion-MNIST k-NN top-1 by stream order " + title,
                "new images trained on (replays not counted)", "top-1 %");
        LinePlot first = new LinePlot("Top-1 on the classes that arrive first " + title, "images trained on", "top-1 %");
        boolean baselines = false;
        for (Path run : runs) {
            Path quality = run.resolve("quality");
            List<String> lines = Files.readAllLines(quality.resolve("quality.csv"), StandardCharsets.UTF_8);
            List<String> header = List.of(lines.get(0).split(",", -1));
            int n = lines.size() - 1;
            double[] images = new double[n];
            double[] newImages = new double[n];
            double[] top1 = new double[n];
            double[] firstTop1 = new double[n];
            String name = run.getFileName().toString();
            for (int i = 0; i < n; i++) {
                String[] cells = lines.get(i + 1).split(",", -1);
                name = cells[0].isEmpty() ? name : cells[0];
                images[i] = Double.parseDouble(cells[header.indexOf("images_seen")]);
                newImages[i] = header.contains("new_images") ? Double.parseDouble(cells[header.indexOf("new_images")])
                        : images[i];
                top1[i] = Double.parseDouble(cells[header.indexOf("top1")]);
                firstTop1[i] = header.contains("first_classes_top1")
                        ? Double.parseDouble(cells[header.indexOf("first_classes_top1")]) : Double.NaN;
            }
            all.series(name, images, top1);
            fresh.series(name, newImages, top1);
            if (header.contains("first_classes_top1")) { // runs before the column have no such series
                first.series(name, images, firstTop1);
            }
            Path b = quality.resolve("baselines.csv");
            if (!baselines && Files.exists(b)) {
                baselines = true;
                for (String line : Files.readAllLines(b, StandardCharsets.UTF_8).subList(1, 3)) {
                    String[] cells = line.split(",");
                    all.reference(cells[0], Double.parseDouble(cells[1]));
                    fresh.reference(cells[0], Double.parseDouble(cells[1]));
                }
            }
        }
        all.write(workdir.resolve("orders-top1-vs-images.png"));
        fresh.write(workdir.resolve("orders-top1-vs-new-images.png"));
        first.write(workdir.resolve("orders-first-classes-top1.png"));
        System.out.println("figures: " + workdir.resolve("orders-top1-vs-images.png") + ", "
                + workdir.resolve("orders-top1-vs-new-images.png") + ", " + workdir.resolve("orders-first-classes-top1.png"));
        return 0;
    }

    /** The labels of the classes that arrive first in the class orders (the first two in label order). */
    static List<String> firstClasses(List<String> labels) {
        List<String> sorted = new ArrayList<>(new java.util.TreeSet<>(labels));
        sorted.sort(StreamOrder.LABEL_ORDER);
        return sorted.subList(0, Math.min(FIRST_CLASSES, sorted.size()));
    }

    /** How many classes count as "seen first" for forgetting. */
    static final int FIRST_CLASSES = 2;

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
                    Features bankFeatures = features(embedder, bank);
                    Features queryFeatures = features(embedder, queries);
                    KnnResult r = knn(bankFeatures, queryFeatures);
                    double first = top1On(bankFeatures, queryFeatures, firstClasses(queries.labels));
                    double probe = m.evaluation().getOrDefault(ProbeScorer.TOP1, Double.NaN);
                    long replayed = m.metrics().getOrDefault("images_replayed", 0.0).longValue();
                    Row row = new Row(step, m.imagesSeen(), m.imagesSeen() - replayed,
                            (created.toEpochMilli() - started.toEpochMilli()) / 60000.0, r, first, probe);
                    rows.add(row);
                    System.out.printf("step %d (%.1f min, %d images, %d new): top-1 %.2f%%, top-5 %.2f%%,"
                                    + " top-1 on classes %s %.2f%%%n", row.step, row.minutes, row.images,
                            row.newImages, r.top1(), r.top5(), firstClasses(queries.labels), first);
                }
            }
        }
        write(out, rows, pixels, random, label);
        return 0;
    }

    private record Labeled(List<RgbImage> images, List<String> labels) {}

    /** One checkpoint: its k-NN result, and the online monitor's score from its manifest (NaN: none). */
    private record Row(long step, long images, long newImages, double minutes, KnnResult knn, double firstTop1,
            double probeTop1) {}

    /** k-NN top-1 (the whole bank votes) over the queries whose label is in classes. */
    static double top1On(Features bank, Features queries, List<String> classes) {
        KnnClassifier knn = new KnnClassifier(bank);
        int[] predicted = knn.predict(queries);
        List<String> names = knn.classes();
        int n = 0;
        int right = 0;
        for (int i = 0; i < queries.size(); i++) {
            if (classes.contains(queries.label(i))) {
                n++;
                right += names.get(predicted[i]).equals(queries.label(i)) ? 1 : 0;
            }
        }
        return n == 0 ? Double.NaN : 100.0 * right / n;
    }

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
            Backbone backbone = (Backbone) net.backbone();
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
        StringBuilder csv = new StringBuilder(
                "run,step,minutes,images_seen,new_images,top1,top5,first_classes_top1,online_probe_top1\n");
        StringBuilder md = new StringBuilder("| step | minutes | images seen | new images | top-1 % | top-5 % |"
                + " top-1 % on the first classes | online probe top-1 % |\n|---|---|---|---|---|---|---|---|\n");
        double[] minutes = new double[rows.size()];
        double[] images = new double[rows.size()];
        double[] top1 = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            String probe = Double.isNaN(r.probeTop1) ? "" : String.format("%.2f", r.probeTop1);
            csv.append(String.format("%s,%d,%.2f,%d,%d,%.2f,%.2f,%.2f,%s%n", label.replace(',', ' '), r.step,
                    r.minutes, r.images, r.newImages, r.knn.top1(), r.knn.top5(), r.firstTop1, probe));
            md.append(String.format("| %d | %.1f | %d | %d | %.2f | %.2f | %.2f | %s |%n", r.step, r.minutes, r.images,
                    r.newImages, r.knn.top1(), r.knn.top5(), r.firstTop1, probe.isEmpty() ? "–" : probe));
            minutes[i] = r.minutes;
            images[i] = r.images;
            top1[i] = r.knn.top1();
        }
        double bestFirst = rows.stream().mapToDouble(Row::firstTop1).max().orElse(Double.NaN);
        double lastFirst = rows.isEmpty() ? Double.NaN : rows.get(rows.size() - 1).firstTop1;
        md.append(String.format("%nForgetting (k-NN top-1 on the queries of the classes that arrive first, the whole"
                + " bank voting): best %.2f, at the end %.2f, forgotten %.2f points.%n", bestFirst, lastFirst,
                bestFirst - lastFirst));
        md.append(String.format("%nBaselines on the same protocol: raw 32x32 pixels %.2f / %.2f, random-init backbone %.2f / %.2f (top-1 / top-5 %%).%n",
                pixels.top1(), pixels.top5(), random.top1(), random.top5()));
        Files.writeString(out.resolve("quality.csv"), csv, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("quality.md"), md, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("baselines.csv"), String.format(java.util.Locale.ROOT,
                "baseline,top1%nraw 32x32 pixels,%.2f%nrandom-init backbone,%.2f%n", pixels.top1(), random.top1()), StandardCharsets.UTF_8);
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
