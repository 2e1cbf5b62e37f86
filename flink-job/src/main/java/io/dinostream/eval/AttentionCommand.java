package io.dinostream.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import io.dinostream.augment.BicubicResize;
import io.dinostream.augment.ImageNetNormalization;
import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.datasets.ImageSource;
import io.dinostream.datasets.ImageSources;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.ingest.RejectedImageException;
import io.dinostream.model.VisionTransformer;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.CheckpointLoader;
import io.dinostream.publish.LoadedCheckpoint;
import io.dinostream.publish.ObjectStore;
import io.dinostream.publish.ObjectStores;
import io.dinostream.publish.PublishSettings;
import io.dinostream.types.RgbImage;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * {@code attention}: the last block's self-attention of the CLS token, per head, of a published
 * ViT teacher, drawn as PNGs over each image, as in the DINO paper's figures (Caron et al. 2021,
 * fig. 1 and 3; the official visualize_attention.py): each image is resized to the checkpoint's
 * global crop size and normalised as in training; head h's map is row 0 of
 * {@code get_last_selfattention} without the CLS column, on the patch grid, scaled to [0, 1] and
 * blown up to pixels (nearest, as the official script does), coloured and laid over the image.
 */
public final class AttentionCommand {

    private static final String USAGE = """
            attention: the CLS token's last-layer self-attention of a ViT checkpoint, per head, as PNGs

            For each image writes DIR/NAME-image.png (the image at the checkpoint's global crop size),
            DIR/NAME-head<h>.png (head h's attention over it) and DIR/NAME-heads.png (all heads side
            by side), NAME being the image's index and id.

            Usage: attention --checkpoint s3://bucket/prefix|file:///path [--step latest|N]
                             --images idx:PATH|folder:PATH|synthetic [--limit N] --out DIR""";

    static final Option<String> CHECKPOINT = Option.text("checkpoint", "",
            "where the checkpoints were published: s3://bucket/prefix or file:///path");
    static final Option<String> STEP = Option.text("step", "latest", "the step to load, or latest (follows latest.json)");
    static final Option<String> IMAGES = Option.text("images", "", "images to draw: " + ImageSources.FORMS);
    static final Option<Long> LIMIT = Option.wholeNumber("limit", "8", "draw at most N images (0: all)").nonNegative();
    static final Option<String> OUT = Option.text("out", "", "the folder to write the PNGs to (created if missing)");
    static final Option<Long> SEED = Option.wholeNumber("seed", "0", "seed of the synthetic images");

    static final OptionSet OPTIONS = OptionSet.of(USAGE, CHECKPOINT, STEP, IMAGES, LIMIT, OUT, SEED)
            .with(PublishSettings.S3_OPTIONS);

    /** How much of the image shows under the map: 0 only the map, 1 only the image. */
    private static final double IMAGE_WEIGHT = 0.35;

    private AttentionCommand() {}

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
        ImageSources.requireEnd(images, limit, "--images");
        try (ObjectStore store = ObjectStores.open(checkpoint, PublishSettings.s3(given));
                LoadedCheckpoint loaded = CheckpointLoader.load(store, given.get(STEP));
                ImageSource source = ImageSources.open(images, given.get(SEED))) {
            if (!(loaded.backbone() instanceof VisionTransformer)) {
                System.err.println("error: " + loaded.location() + " holds a " + loaded.modelSpec().describeBackbone()
                        + ": attention maps need a ViT checkpoint (--model.backbone vit_small, ...)");
                return 1;
            }
            int written = draw(loaded, source, limit, out);
            System.out.printf("wrote the attention maps of %d images (%s, step %d) to %s%n", written,
                    loaded.modelSpec().describeBackbone(), loaded.step(), out);
            return 0;
        } catch (IOException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
    }

    /** Draws up to limit images of source (0: all); returns how many. Undecodable images are skipped. */
    public static int draw(LoadedCheckpoint checkpoint, ImageSource source, long limit, Path out) throws IOException {
        VisionTransformer vit = (VisionTransformer) checkpoint.backbone();
        int size = checkpoint.globalSize();
        Files.createDirectories(out);
        DecodeLimits limits = DecodeLimits.defaults();
        int written = 0;
        long index = 0;
        while ((limit == 0 || index < limit) && source.hasNext()) {
            ImageEvent event = source.next();
            String name = String.format("%04d-%s", index++, safe(event.getId()));
            RgbImage image;
            try {
                image = ImageDecoder.decode(event, limits);
            } catch (RejectedImageException e) {
                System.err.println("skipping image " + event.getId() + ": " + e.getMessage());
                continue;
            }
            RgbImage resized = image.width() == size && image.height() == size ? image
                    : BicubicResize.resize(image, size, size);
            float[][] maps = clsAttention(vit, checkpoint.manager(), resized);
            int grid = size / vit.patchSize();
            ImageIO.write(toImage(resized), "png", out.resolve(name + "-image.png").toFile());
            List<BufferedImage> heads = new ArrayList<>();
            for (int h = 0; h < maps.length; h++) {
                BufferedImage overlay = overlay(resized, maps[h], grid, vit.patchSize());
                ImageIO.write(overlay, "png", out.resolve(name + "-head" + h + ".png").toFile());
                heads.add(overlay);
            }
            ImageIO.write(sideBySide(heads), "png", out.resolve(name + "-heads.png").toFile());
            written++;
        }
        return written;
    }

    /** Per head, the CLS token's attention to each patch (row 0 of the last self-attention without its CLS column). */
    static float[][] clsAttention(VisionTransformer vit, NDManager owner, RgbImage image) {
        JniUtils.setGradMode(false);
        try (NDManager scratch = owner.newSubManager();
                NDScope arrays = new NDScope()) {
            arrays.suppressNotUsedWarning();
            NDArray x = ImageNetNormalization.toTensor(List.of(image), scratch, DataType.FLOAT32);
            NDArray attention = vit.lastSelfAttention(x); // (1, heads, N, N)
            long heads = attention.getShape().get(1);
            long tokens = attention.getShape().get(2);
            float[] cls = attention.get("0, :, 0, 1:").toType(DataType.FLOAT32, false).toFloatArray();
            float[][] out = new float[(int) heads][];
            for (int h = 0; h < heads; h++) {
                out[h] = new float[(int) tokens - 1];
                System.arraycopy(cls, (int) (h * (tokens - 1)), out[h], 0, (int) tokens - 1);
            }
            return out;
        }
    }

    /** The image with a map of the grid laid over it: min to max of the map as dark blue to yellow. */
    static BufferedImage overlay(RgbImage image, float[] map, int grid, int patch) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : map) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float range = max > min ? max - min : 1;
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                int row = Math.min(grid - 1, y / patch);
                int col = Math.min(grid - 1, x / patch);
                int[] color = colour((map[row * grid + col] - min) / range);
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int v = (int) Math.round(IMAGE_WEIGHT * image.get(x, y, c) + (1 - IMAGE_WEIGHT) * color[c]);
                    rgb = (rgb << 8) | Math.max(0, Math.min(255, v));
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }

    /** A perceptually ordered map from 0 (dark blue) through teal and green to 1 (yellow), as viridis. */
    static int[] colour(double t) {
        int[][] stops = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
        double s = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int i = Math.min(stops.length - 2, (int) s);
        double f = s - i;
        int[] c = new int[3];
        for (int k = 0; k < 3; k++) {
            c[k] = (int) Math.round(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]));
        }
        return c;
    }

    private static BufferedImage toImage(RgbImage image) {
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                out.setRGB(x, y, (image.get(x, y, 0) << 16) | (image.get(x, y, 1) << 8) | image.get(x, y, 2));
            }
        }
        return out;
    }

    private static BufferedImage sideBySide(List<BufferedImage> images) {
        int gap = 4;
        int w = images.get(0).getWidth();
        int h = images.get(0).getHeight();
        BufferedImage out = new BufferedImage(images.size() * (w + gap) - gap, h, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < images.size(); i++) {
            out.getGraphics().drawImage(images.get(i), i * (w + gap), 0, null);
        }
        return out;
    }

    /** An image id as a file name part: letters, digits, '-', '_' and '.', at most 64 characters. */
    private static String safe(String id) {
        String s = id.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.length() > 64 ? s.substring(0, 64) : s;
    }

}
