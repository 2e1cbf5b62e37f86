package io.dinostream.eval;

import io.dinostream.config.Cli;
import io.dinostream.datasets.ImageSource;
import io.dinostream.datasets.ImageSources;
import io.dinostream.features.Embedder;
import io.dinostream.features.Features;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.ingest.RejectedImageException;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.CheckpointLoader;
import io.dinostream.publish.LoadedCheckpoint;
import io.dinostream.publish.ObjectStore;
import io.dinostream.publish.ObjectStores;
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
 * and writes the features of a dataset's images as a {@link Features} file (the format {@code knn}
 * reads). The file
 * appears only when complete: it is written beside the target and renamed into place.
 */
public final class EmbedCommand {

    private static final String USAGE = """
            embed: features of images from a published checkpoint's teacher backbone

            Writes CSV: a header 'label,f0,...,f{D-1}', then one row per image with its label
            (empty when none) and its D features (exact float decimals). Images are resized to
            the checkpoint's global crop size and normalised as in training; the backbone runs
            in eval mode.

            Usage: embed --checkpoint s3://bucket/prefix|file:///path [--step latest|N]
                         --images idx:PATH|folder:PATH|synthetic [--limit N] --out FILE""";

    private EmbedCommand() {}

    /** Runs the command; returns the exit status (0 done, 1 failed). */
    public static int run(List<String> args) {
        Cli cli = new Cli(USAGE)
                .option("checkpoint", "", "where the checkpoints were published: s3://bucket/prefix or file:///path")
                .option("step", "latest", "the step to load, or latest (follows latest.json)")
                .option("images", "", "images to embed: " + ImageSources.FORMS)
                .option("limit", "0", "embed at most N images (0: all; synthetic needs a limit)")
                .option("out", "", "CSV file to write")
                .option("batch-size", Integer.toString(Embedder.DEFAULT_BATCH_SIZE), "images per forward pass")
                .option("seed", "0", "seed of the synthetic images")
                .option("s3.endpoint", "", "S3 API endpoint, e.g. http://minio:9000 (empty: AWS)")
                .option("s3.region", S3Settings.DEFAULT_REGION, "S3 region")
                .option("s3.access-key", "", "S3 access key (default: env AWS_ACCESS_KEY_ID)")
                .option("s3.secret-key", "", "S3 secret key (default: env AWS_SECRET_ACCESS_KEY)");
        if (!cli.parse(args)) {
            return 0;
        }
        String checkpoint = required(cli, "checkpoint");
        String images = required(cli, "images");
        Path out = Path.of(required(cli, "out")).toAbsolutePath();
        long limit = cli.getLong("limit");
        int batchSize = cli.getInt("batch-size");
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0, got " + limit);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        }
        if (limit == 0 && images.strip().startsWith("synthetic")) {
            throw new IllegalArgumentException("--images " + images + " never ends: give --limit N");
        }
        S3Settings s3 = new S3Settings(cli.get("s3.endpoint"), cli.get("s3.region"), cli.get("s3.access-key"),
                cli.get("s3.secret-key"), "", "", true);
        Path folder = localFolder(checkpoint);
        if (folder != null && !Files.isDirectory(folder)) {
            // Checked here: opening a file store creates its folder, which a reader must not do.
            System.err.println("error: no checkpoint folder " + folder + " (--checkpoint " + checkpoint + ")");
            return 1;
        }
        long started = System.nanoTime();
        try (ObjectStore store = ObjectStores.open(checkpoint, s3);
                LoadedCheckpoint loaded = CheckpointLoader.load(store, cli.get("step"));
                ImageSource source = ImageSources.open(images, cli.getLong("seed"))) {
            System.out.printf("loaded %s: step %d, %s, %d-dim features at %d px%n", loaded.location(),
                    loaded.step(), loaded.modelSpec().backbone() + " width " + loaded.modelSpec().width(),
                    loaded.featureDim(), loaded.globalSize());
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

    private static String required(Cli cli, String name) {
        String value = cli.get(name);
        if (value.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required\n\n" + cli.help());
        }
        return value.strip();
    }
}
