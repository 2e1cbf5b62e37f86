package io.dinostream.eval;

import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.datasets.ImageSource;
import io.dinostream.datasets.ImageSources;
import io.dinostream.features.Embedder;
import io.dinostream.features.Features;
import ai.djl.Device;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.ingest.RejectedImageException;
import io.dinostream.model.DeviceChoice;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.CheckpointLoader;
import io.dinostream.publish.LoadedCheckpoint;
import io.dinostream.publish.ObjectStore;
import io.dinostream.publish.ObjectStores;
import io.dinostream.publish.PublishSettings;
import io.dinostream.publish.S3Settings;
import io.dinostream.types.RgbImage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code embed}: loads a published checkpoint's teacher backbone (verified against its manifest)
 * and writes the features of a dataset's images as a {@link Features} file, a numpy .npz archive
 * that numpy and {@code knn} read. The file appears only when complete: it is written beside the
 * target and renamed into place.
 */
public final class EmbedCommand {

    private static final String USAGE = """
            embed: features of images from a published checkpoint's teacher backbone

            Writes a numpy .npz archive: 'features', float32, one row of D features per image,
            and 'labels', each image's label ('' when none). numpy.load(FILE)['features'] reads
            it; so does knn. Images are resized to the checkpoint's global crop size and
            normalised as in training; the backbone runs in eval mode.

            Usage: embed --checkpoint s3://bucket/prefix|file:///path [--step latest|N]
                         --images idx:PATH|folder:PATH|synthetic [--limit N] --out FILE
                         [--device auto|cpu|gpu|gpu:N]""";

    static final Option<String> CHECKPOINT = Option.text("checkpoint", "",
            "where the checkpoints were published: s3://bucket/prefix or file:///path");
    static final Option<String> STEP = Option.text("step", "latest", "the step to load, or latest (follows latest.json)");
    static final Option<String> IMAGES = Option.text("images", "", "images to embed: " + ImageSources.FORMS);
    static final Option<Long> LIMIT =
            Option.wholeNumber("limit", "0", "embed at most N images (0: all; synthetic needs a limit)").nonNegative();
    static final Option<String> OUT = Option.text("out", "", "the .npz file to write (features and labels, as numpy.savez writes them)");
    static final Option<Integer> BATCH_SIZE = Option.integer("batch-size",
            Integer.toString(Embedder.DEFAULT_BATCH_SIZE), "images per forward pass")
            .check(b -> b >= 1, text -> "--batch-size must be >= 1, got " + text);
    static final Option<Long> SEED = Option.wholeNumber("seed", "0", "seed of the synthetic images");
    static final Option<DeviceChoice> DEVICE = Option.parsedBy("device", "auto",
            "where the backbone runs: " + DeviceChoice.FORMS + " (as the job's --train.device)", DeviceChoice::parse);

    /** Ours, and the job's s3.* options for reading checkpoints from S3. */
    static final OptionSet OPTIONS = OptionSet.of(USAGE, CHECKPOINT, STEP, IMAGES, LIMIT, OUT, BATCH_SIZE, SEED, DEVICE)
            .with(PublishSettings.S3_OPTIONS);

    private EmbedCommand() {}

    /** Runs the command; returns the exit status (0 done, 1 failed). */
    public static int run(List<String> args) {
        OptionValues given = OPTIONS.parseArgs(args);
        if (given == null) {
            System.out.println(OPTIONS.help());
            return 0;
        }
        String checkpoint = OPTIONS.required(given, CHECKPOINT);
        String images = OPTIONS.required(given, IMAGES);
        Path out = Path.of(OPTIONS.required(given, OUT)).toAbsolutePath();
        long limit = given.get(LIMIT);
        int batchSize = given.get(BATCH_SIZE);
        ImageSources.requireEnd(images, limit, "--images");
        S3Settings s3 = PublishSettings.s3(given);
        Path folder = localFolder(checkpoint);
        if (folder != null && !Files.isDirectory(folder)) {
            // Checked here: opening a file store creates its folder, which a reader must not do.
            System.err.println("error: no checkpoint folder " + folder + " (--checkpoint " + checkpoint + ")");
            return 1;
        }
        Device device;
        try {
            device = given.get(DEVICE).resolve();
        } catch (IllegalStateException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        long started = System.nanoTime();
        try (ObjectStore store = ObjectStores.open(checkpoint, s3);
                LoadedCheckpoint loaded = CheckpointLoader.load(store, given.get(STEP), device);
                ImageSource source = ImageSources.open(images, given.get(SEED))) {
            System.out.printf("loaded %s: step %d, %s, %d-dim features at %d px, on %s%n", loaded.location(),
                    loaded.step(), loaded.modelSpec().describeBackbone(),
                    loaded.featureDim(), loaded.globalSize(), device);
            Result result = embed(loaded, source, limit, batchSize, out);
            System.out.printf("embedded %d images to %s in %.1f s%s%n", result.rows, out,
                    (System.nanoTime() - started) / 1e9,
                    result.skipped == 0 ? "" : " (" + result.skipped + " could not be decoded and were skipped)");
            return 0;
        } catch (IOException | UncheckedIOException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
    }

    /** What {@link #embed} wrote. */
    public record Result(long rows, long skipped) {}

    /**
     * Embeds up to limit images of source (0: all) with the checkpoint's backbone and writes them
     * to out, replacing it only once complete. Images that cannot be decoded are skipped, with a
     * line on stderr.
     */
    public static Result embed(LoadedCheckpoint checkpoint, ImageSource source, long limit, int batchSize, Path out)
            throws IOException {
        Embedder embedder = new Embedder(checkpoint, batchSize);
        DecodeLimits limits = DecodeLimits.defaults();
        Path dir = out.getParent() == null ? Path.of(".") : out.getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
        long skipped = 0;
        List<float[]> rows = new ArrayList<>();
        List<String> rowLabels = new ArrayList<>();
        try {
            List<RgbImage> batch = new ArrayList<>(batchSize);
            List<String> labels = new ArrayList<>(batchSize);
            long taken = 0;
            while ((limit == 0 || taken < limit) && source.hasNext()) {
                ImageEvent event = source.next();
                taken++;
                try {
                    batch.add(ImageDecoder.decode(event, limits));
                    labels.add(event.getLabel());
                } catch (RejectedImageException e) {
                    skipped++;
                    System.err.println("skipping image " + event.getId() + ": " + e.getMessage());
                }
                if (batch.size() == batchSize) {
                    flush(embedder, batch, labels, rows, rowLabels);
                }
            }
            flush(embedder, batch, labels, rows, rowLabels);
            new Features(rows.toArray(new float[0][]), rowLabels.toArray(new String[0])).write(temp);
            try {
                Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, out, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        return new Result(rows.size(), skipped);
    }

    private static void flush(Embedder embedder, List<RgbImage> batch, List<String> labels, List<float[]> rows,
            List<String> rowLabels) {
        if (batch.isEmpty()) {
            return;
        }
        float[][] features = embedder.embed(batch);
        for (int i = 0; i < features.length; i++) {
            rows.add(features[i]);
            rowLabels.add(labels.get(i));
        }
        batch.clear();
        labels.clear();
    }

    /** The folder of a file: location, or null for another kind (ObjectStores judges those). */
    private static Path localFolder(String uri) {
        if (!uri.startsWith("file:")) {
            return null;
        }
        try {
            return Path.of(URI.create(uri));
        } catch (IllegalArgumentException | FileSystemNotFoundException e) {
            return null;
        }
    }

}
