package io.dinostream.bench;

import com.google.protobuf.ByteString;
import io.dinostream.augment.BicubicResize;
import io.dinostream.augment.MultiCropPolicy;
import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.datasets.IdxSource;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.ingest.ImageEncoding;
import io.dinostream.ingest.RejectedImageException;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Times, on one thread, what one core does in front of the trainer: JPEG decode ({@link
 * ImageDecoder}), multi-crop ({@link MultiCropPolicy}, 2 × 224 px + N × 96 px) and both in a row,
 * on two sets of 256 px JPEGs that it writes first, so that {@code bench/official_aug.py} (the
 * official {@code DataAugmentationDINO} on torchvision and PIL) reads the very same files:
 *
 * <ul>
 *   <li>{@code flat/}: the first Fashion-MNIST training images, upscaled bicubic from 28 px
 *       (flat regions, few edges);
 *   <li>{@code photos/}: nine 256 px crops (corners, edge middles, centre) of each of seven
 *       colour photographs of scikit-image's data folder (Debian's python3-skimage).
 * </ul>
 *
 * Each measure runs untimed warm-up passes over its set, then timed passes until its time is
 * up, and prints the median pass's images/s by the wall clock and per second of the thread's CPU
 * time.
 */
public final class AugBenchmark {

    /** scikit-image's sample photographs as Debian's python3-skimage installs them. */
    static final String DEBIAN_SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data";

    /** Colour photographs of scikit-image's data folder (CC0 or public domain, see its README). */
    static final List<String> PHOTOS = List.of("astronaut.png", "chelsea.png", "coffee.png",
            "motorcycle_left.png", "motorcycle_right.png", "rocket.jpg", "hubble_deep_field.jpg");

    static final Option<String> FASHION_MNIST = Option.text("fashion-mnist", "/usr/share/datasets/fashion-mnist",
            "folder or images file of Fashion-MNIST (IDX), the flat-content set");
    static final Option<String> PHOTOS_DIR = Option.text("photos", DEBIAN_SKIMAGE_DATA,
            "folder holding scikit-image's sample photos (" + String.join(", ", PHOTOS) + ")");
    static final Option<String> OUT = Option.text("out", "bench-aug-jpegs",
            "folder the JPEGs are written to (flat/, photos/), for bench/official_aug.py --dir");
    static final Option<Integer> SIZE = Option.integer("size", "256", "side of the benchmark JPEGs").positive();
    static final Option<Integer> FLAT_COUNT = Option.integer("flat-count", "64", "Fashion-MNIST images").positive();
    static final Option<Integer> QUALITY = Option.integer("quality", "90", "JPEG quality, 1..100").between(1, 100);
    static final Option<Integer> GLOBAL_SIZE = Option.integer("global-size", "224", "global view side").positive();
    static final Option<Integer> LOCAL_SIZE = Option.integer("local-size", "96", "local view side").positive();
    static final Option<Integer> LOCAL_VIEWS = Option.integer("local-views", "6", "local views per image")
            .nonNegative();
    static final Option<Double> SECONDS = Option.number("seconds", "5", "timed seconds per measure").positive();
    static final Option<Double> WARMUP = Option.number("warmup", "2", "untimed CPU seconds per measure")
            .nonNegative();
    static final Option<List<String>> MEASURES = Option.list("measures", "decode,crop,both",
            "which of decode, crop (multi-crop only), both (decode + multi-crop)");

    static final OptionSet OPTIONS = OptionSet.of(
            "bench-aug: JPEG decode and multi-crop throughput on one core (peer: bench/official_aug.py)",
            FASHION_MNIST, PHOTOS_DIR, OUT, SIZE, FLAT_COUNT, QUALITY, GLOBAL_SIZE, LOCAL_SIZE, LOCAL_VIEWS,
            SECONDS, WARMUP, MEASURES);

    private AugBenchmark() {}

    public static int run(List<String> args) throws Exception {
        OptionValues given = OPTIONS.parseArgs(args);
        if (given == null) {
            System.out.println(OPTIONS.help());
            return 0;
        }
        List<String> measures = given.get(MEASURES);
        for (String m : measures) {
            if (!List.of("decode", "crop", "both").contains(m)) {
                throw new IllegalArgumentException("--measures takes decode, crop and both, got '" + m + "'");
            }
        }
        int size = given.get(SIZE);
        float quality = given.get(QUALITY) / 100f;
        Path out = Path.of(given.get(OUT));
        List<byte[]> flat = writeAll(out.resolve("flat"),
                flatImages(Path.of(given.get(FASHION_MNIST)), given.get(FLAT_COUNT), size), quality);
        List<byte[]> photos = writeAll(out.resolve("photos"),
                photoCrops(Path.of(given.get(PHOTOS_DIR)), size), quality);
        MultiCropPolicy policy = MultiCropPolicy.builder()
                .globalSize(given.get(GLOBAL_SIZE))
                .localSize(given.get(LOCAL_SIZE))
                .localCount(given.get(LOCAL_VIEWS))
                .build();
        System.out.printf(Locale.ROOT, "java %s, %s; one thread; decoder: %s%n", System.getProperty("java.version"),
                System.getProperty("os.arch"), ImageDecoder.jpegDecoderName());
        System.out.printf(Locale.ROOT, "views %d x %d px + %d x %d px; JPEGs in %s: flat %d, photos %d (%d px, q%d)%n",
                policy.globalCount(), policy.globalSize(), policy.localCount(), policy.localSize(), out,
                flat.size(), photos.size(), size, given.get(QUALITY));
        double warmup = given.get(WARMUP);
        double seconds = given.get(SECONDS);
        for (String set : List.of("flat", "photos")) {
            List<ImageEvent> events = events(set.equals("flat") ? flat : photos, set);
            List<RgbImage> decoded = new ArrayList<>();
            for (ImageEvent e : events) {
                decoded.add(decode(e));
            }
            for (String measure : measures) {
                Pass pass = switch (measure) {
                    case "decode" -> round -> {
                        for (ImageEvent e : events) {
                            sink(decode(e).byteSize());
                        }
                    };
                    case "crop" -> round -> {
                        for (int i = 0; i < decoded.size(); i++) {
                            sink(policy.apply("", decoded.get(i), new SeededRandom(round * 7919L + i)).viewCount());
                        }
                    };
                    default -> round -> {
                        for (int i = 0; i < events.size(); i++) {
                            RgbImage image = decode(events.get(i));
                            sink(policy.apply("", image, new SeededRandom(round * 7919L + i)).viewCount());
                        }
                    };
                };
                double[][] rates = time(pass, events.size(), warmup, seconds);
                double[] wall = rates[0].clone();
                Arrays.sort(wall);
                double[] cpu = rates[1].clone();
                Arrays.sort(cpu);
                System.out.printf(Locale.ROOT,
                        "%-6s %-6s %9.1f img/s  (median of %d passes, min %.1f, max %.1f; per CPU second %.1f)%n",
                        set, measure, median(wall), wall.length, wall[0], wall[wall.length - 1], median(cpu));
            }
        }
        System.out.println("checksum " + checksum);
        return 0;
    }

    /** One pass over a set; round numbers the passes, so each pass draws fresh views. */
    private interface Pass {
        void run(long round) throws Exception;
    }

    private static long checksum;

    /** Keeps results alive so the JIT cannot drop the work. */
    private static void sink(int value) {
        checksum += value;
    }

    /**
     * Images/s of each timed pass: by the wall clock, and by this thread's CPU time (which a busy
     * machine's other processes inflate less, though they still share caches and cores).
     */
    private static double[][] time(Pass pass, int images, double warmupSeconds, double seconds) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long round = 0;
        // Warm-up is counted in CPU time: on a busy machine a wall-clock warm-up can end before
        // the JIT has compiled the loops, and the first timed passes would then measure the
        // interpreter.
        long warmupEnd = threads.getCurrentThreadCpuTime() + (long) (warmupSeconds * 1e9);
        do {
            pass.run(round++);
        } while (threads.getCurrentThreadCpuTime() < warmupEnd);
        List<double[]> rates = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long cpu0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            pass.run(round++);
            long t1 = System.nanoTime();
            long cpu1 = threads.getCurrentThreadCpuTime();
            rates.add(new double[] {images / ((t1 - t0) / 1e9), images / ((cpu1 - cpu0) / 1e9)});
        } while (System.nanoTime() < end || rates.size() < 3);
        return new double[][] {
            rates.stream().mapToDouble(r -> r[0]).toArray(), rates.stream().mapToDouble(r -> r[1]).toArray()
        };
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static RgbImage decode(ImageEvent event) throws RejectedImageException {
        return ImageDecoder.decode(event, DecodeLimits.defaults());
    }

    private static List<ImageEvent> events(List<byte[]> jpegs, String set) {
        List<ImageEvent> events = new ArrayList<>();
        for (int i = 0; i < jpegs.size(); i++) {
            events.add(ImageEvent.newBuilder()
                    .setId(set + "-" + i)
                    .setEncoding(ImageEvent.Encoding.JPEG)
                    .setData(ByteString.copyFrom(jpegs.get(i)))
                    .build());
        }
        return events;
    }

    /** The first count Fashion-MNIST training images, gray to RGB, bicubic to size × size. */
    static List<RgbImage> flatImages(Path fashionMnist, int count, int size) {
        if (!Files.exists(fashionMnist)) {
            throw new IllegalArgumentException("no Fashion-MNIST at " + fashionMnist
                    + ": install Debian's dataset-fashion-mnist or pass --fashion-mnist FOLDER with the IDX files");
        }
        List<RgbImage> images = new ArrayList<>();
        try (IdxSource source = IdxSource.open(fashionMnist)) {
            while (images.size() < count && source.hasNext()) {
                RgbImage gray = decode(source.next());
                images.add(BicubicResize.resize(gray, size, size));
            }
        } catch (RejectedImageException e) {
            throw new IllegalStateException("a Fashion-MNIST image did not decode: " + e.getMessage(), e);
        }
        return images;
    }

    /**
     * Nine size × size crops of each photo: the four corners, the middles of the four edges and
     * the centre (photos smaller than size on a side are left out).
     */
    static List<RgbImage> photoCrops(Path folder, int size) throws IOException {
        List<RgbImage> crops = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String name : PHOTOS) {
            Path file = folder.resolve(name);
            if (!Files.isRegularFile(file)) {
                missing.add(name);
                continue;
            }
            byte[] bytes = Files.readAllBytes(file);
            RgbImage photo;
            try {
                photo = ImageDecoder.decode(ImageEvent.newBuilder()
                        .setEncoding(name.endsWith(".png") ? ImageEvent.Encoding.PNG : ImageEvent.Encoding.JPEG)
                        .setData(ByteString.copyFrom(bytes))
                        .build(), DecodeLimits.defaults());
            } catch (RejectedImageException e) {
                throw new IllegalStateException(file + " did not decode: " + e.getMessage(), e);
            }
            if (photo.width() < size || photo.height() < size) {
                continue;
            }
            for (int gy = 0; gy < 3; gy++) {
                for (int gx = 0; gx < 3; gx++) {
                    int x = (photo.width() - size) * gx / 2;
                    int y = (photo.height() - size) * gy / 2;
                    crops.add(crop(photo, x, y, size));
                }
            }
        }
        if (crops.isEmpty()) {
            throw new IllegalArgumentException("none of scikit-image's photos (" + String.join(", ", PHOTOS)
                    + ") is in " + folder + ": install Debian's python3-skimage (or extract its .deb) and pass"
                    + " --photos with its skimage/data folder");
        }
        if (!missing.isEmpty()) {
            System.out.println("photos missing from " + folder + ": " + String.join(", ", missing));
        }
        return crops;
    }

    private static RgbImage crop(RgbImage image, int x0, int y0, int size) {
        byte[] out = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            image.copyRow(x0, y0 + y, size, out, y * size * 3);
        }
        return new RgbImage(size, size, out);
    }

    /** Writes the images as numbered JPEGs into a fresh folder; returns their bytes in order. */
    private static List<byte[]> writeAll(Path folder, List<RgbImage> images, float quality) throws IOException {
        Files.createDirectories(folder);
        try (Stream<Path> old = Files.list(folder)) {
            for (Path p : (Iterable<Path>) old::iterator) {
                if (p.getFileName().toString().endsWith(".jpg")) {
                    Files.delete(p);
                }
            }
        }
        List<byte[]> jpegs = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            byte[] jpeg = ImageEncoding.jpeg(images.get(i), quality);
            try {
                Files.write(folder.resolve(String.format(Locale.ROOT, "%03d.jpg", i)), jpeg);
            } catch (IOException e) {
                throw new UncheckedIOException("could not write the benchmark JPEGs to " + folder, e);
            }
            jpegs.add(jpeg);
        }
        return jpegs;
    }
}
