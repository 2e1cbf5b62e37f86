package io.dinostream.datasets;

import com.google.protobuf.UnsafeByteOperations;
import io.dinostream.proto.ImageEvent;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;

/**
 * Images and labels from MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST), as
 * RAW_GRAY8 {@link ImageEvent}s labelled with the class number ("0".."9"). Lets the job train and
 * be evaluated on a small, well-known dataset without network access; Debian's
 * {@code dataset-fashion-mnist} package installs one in {@code /usr/share/datasets/fashion-mnist}.
 *
 * <p>Format (big-endian): images start with magic 0x00000803, the count, rows and columns, then
 * count × rows × columns bytes; labels with magic 0x00000801 and the count, then one byte each.
 * Gzip-compressed files are read transparently (recognised by content, not name). Labels are read
 * whole when the source opens, images are streamed one at a time, so memory stays small.
 */
public final class IdxSource implements ImageSource {

    /** Magic number of an images file: unsigned bytes, three dimensions. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of a labels file: unsigned bytes, one dimension. */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int HEADER_BYTES = 16;
    private static final int GZIP_MAGIC = 0x1F8B;
    /** Largest image accepted, 8192 × 8192 pixels; IDX datasets hold small images. */
    private static final int MAX_PIXELS = 8192 * 8192;
    /** Image file names tried, in order, when the path is a directory: train first, then test. */
    private static final List<String> IMAGE_NAMES =
            List.of(
                    "train-images-idx3-ubyte",
                    "train-images.idx3-ubyte",
                    "t10k-images-idx3-ubyte",
                    "t10k-images.idx3-ubyte");

    private final Path imagesPath;
    private final String name;
    private final DataInputStream images;
    private final byte[] labels;
    private final int rows;
    private final int cols;
    private int index;
    private boolean closed;

    private IdxSource(Path imagesPath, DataInputStream images, byte[] labels, int rows, int cols) {
        this.imagesPath = imagesPath;
        this.name = stripGz(imagesPath.getFileName().toString());
        this.images = images;
        this.labels = labels;
        this.rows = rows;
        this.cols = cols;
    }

    /**
     * Opens an images file and the labels file beside it ({@code train-images-idx3-ubyte[.gz]} →
     * {@code train-labels-idx1-ubyte[.gz]}, likewise {@code t10k-}), or, for a directory, its
     * training set (else its test set).
     *
     * @throws IllegalArgumentException when files are missing, not IDX, truncated or mismatched
     * @throws UncheckedIOException when they cannot be read
     */
    public static IdxSource open(Path path) {
        if (Files.isDirectory(path)) {
            Path images = findImages(path);
            return open(images, findLabels(images));
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(
                    "IDX path "
                            + path
                            + " does not exist; give an images file such as"
                            + " train-images-idx3-ubyte[.gz] or the directory holding it");
        }
        return open(path, findLabels(path));
    }

    /**
     * Opens the given images and labels files.
     *
     * @throws IllegalArgumentException when a file is missing, not IDX, truncated, or the counts
     *     differ
     * @throws UncheckedIOException when a file cannot be read
     */
    public static IdxSource open(Path images, Path labels) {
        for (Path p : List.of(images, labels)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("IDX file " + p + " does not exist");
            }
        }
        byte[] labelBytes = readLabels(labels);
        DataInputStream in = null;
        try {
            in = openStream(images);
            int magic = readHeaderInt(in, images);
            checkMagic(magic, IMAGES_MAGIC, images, "images");
            int count = readHeaderInt(in, images);
            int rows = readHeaderInt(in, images);
            int cols = readHeaderInt(in, images);
            if (count < 0 || rows <= 0 || cols <= 0) {
                throw new IllegalArgumentException(
                        images
                                + " has a broken IDX header: "
                                + count
                                + " images of "
                                + rows
                                + "x"
                                + cols
                                + "; re-download the file");
            }
            if ((long) rows * cols > MAX_PIXELS) {
                throw new IllegalArgumentException(
                        images
                                + " claims images of "
                                + rows
                                + "x"
                                + cols
                                + " pixels, over the "
                                + MAX_PIXELS
                                + " pixel limit of this reader; is it really an IDX images file?");
            }
            long expectedBytes = HEADER_BYTES + (long) count * rows * cols;
            if (!isGzip(images)) {
                long actual = Files.size(images);
                if (actual < expectedBytes) {
                    throw new IllegalArgumentException(
                            truncated(images, count, rows, cols)
                                    + ": the header promises "
                                    + expectedBytes
                                    + " bytes but the file has "
                                    + actual
                                    + "; re-download it");
                }
            }
            if (count != labelBytes.length) {
                throw new IllegalArgumentException(
                        images
                                + " holds "
                                + count
                                + " images but "
                                + labels
                                + " holds "
                                + labelBytes.length
                                + " labels; they are not a pair");
            }
            return new IdxSource(images, in, labelBytes, rows, cols);
        } catch (IOException e) {
            closeQuietly(in);
            throw new UncheckedIOException("could not read IDX images file " + images, e);
        } catch (RuntimeException e) {
            closeQuietly(in);
            throw e;
        }
    }

    /** Number of images (and labels). */
    public int size() {
        return labels.length;
    }

    /** Image height in pixels. */
    public int rows() {
        return rows;
    }

    /** Image width in pixels. */
    public int cols() {
        return cols;
    }

    @Override
    public boolean hasNext() {
        return !closed && index < labels.length;
    }

    @Override
    public ImageEvent next() {
        if (!hasNext()) {
            throw new NoSuchElementException(
                    closed ? name + " is closed" : "all " + labels.length + " images of " + name
                            + " were read");
        }
        byte[] pixels = new byte[rows * cols];
        try {
            images.readFully(pixels);
        } catch (EOFException e) {
            EOFException eof =
                    new EOFException(
                            truncated(imagesPath, labels.length, rows, cols)
                                    + ": the data ends inside image "
                                    + index
                                    + "; re-download it");
            eof.initCause(e);
            throw new UncheckedIOException(eof);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "could not read image " + index + " of IDX file " + imagesPath, e);
        }
        int i = index++;
        return ImageEvent.newBuilder()
                .setId(name + "-" + i)
                .setSource(name)
                .setEncoding(ImageEvent.Encoding.RAW_GRAY8)
                .setWidth(cols)
                .setHeight(rows)
                .setData(UnsafeByteOperations.unsafeWrap(pixels))
                .setLabel(Integer.toString(labels[i] & 0xFF))
                .build();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                images.close();
            } catch (IOException e) {
                throw new UncheckedIOException("could not close IDX file " + imagesPath, e);
            }
        }
    }

    // ---------------------------------------------------------------- files

    private static Path findImages(Path dir) {
        List<String> tried = new ArrayList<>();
        for (String base : IMAGE_NAMES) {
            for (String candidate : List.of(base, base + ".gz")) {
                tried.add(candidate);
                Path p = dir.resolve(candidate);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException(
                "no IDX images file in directory "
                        + dir
                        + "; looked for "
                        + String.join(", ", tried));
    }

    /** The labels file beside an images file: "images" → "labels", "idx3" → "idx1". */
    private static Path findLabels(Path images) {
        String file = images.getFileName().toString();
        String base = stripGz(file);
        int at = base.lastIndexOf("images");
        if (at < 0) {
            throw new IllegalArgumentException(
                    "cannot tell the labels file for "
                            + images
                            + ": its name does not contain 'images' (as in"
                            + " train-images-idx3-ubyte); rename the pair or pass both files");
        }
        String labelsBase =
                (base.substring(0, at) + "labels" + base.substring(at + "images".length()))
                        .replace("idx3", "idx1");
        boolean gz = !file.equals(base);
        List<String> candidates =
                gz ? List.of(labelsBase + ".gz", labelsBase) : List.of(labelsBase, labelsBase + ".gz");
        Path dir = images.toAbsolutePath().getParent();
        for (String candidate : candidates) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "no labels file for "
                        + images
                        + "; looked for "
                        + String.join(" and ", candidates)
                        + " in "
                        + dir);
    }

    private static byte[] readLabels(Path labels) {
        try (DataInputStream in = openStream(labels)) {
            int magic = readHeaderInt(in, labels);
            checkMagic(magic, LABELS_MAGIC, labels, "labels");
            int count = readHeaderInt(in, labels);
            if (count < 0) {
                throw new IllegalArgumentException(
                        labels + " has a broken IDX header: " + count + " labels; re-download it");
            }
            if (!isGzip(labels) && Files.size(labels) < 8L + count) {
                throw new IllegalArgumentException(
                        labels
                                + " is truncated: the header promises "
                                + count
                                + " labels ("
                                + (8L + count)
                                + " bytes) but the file has "
                                + Files.size(labels)
                                + "; re-download it");
            }
            byte[] bytes = new byte[count];
            try {
                in.readFully(bytes);
            } catch (EOFException e) {
                throw new IllegalArgumentException(
                        labels
                                + " is truncated: the header promises "
                                + count
                                + " labels but the data ends early; re-download it");
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read IDX labels file " + labels, e);
        }
    }

    private static DataInputStream openStream(Path path) throws IOException {
        InputStream raw = Files.newInputStream(path);
        try {
            InputStream in = isGzip(path) ? new GZIPInputStream(raw, 1 << 16) : raw;
            return new DataInputStream(new BufferedInputStream(in, 1 << 16));
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** True when the file starts with the gzip signature, whatever its name. */
    private static boolean isGzip(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            int b0 = in.read();
            int b1 = in.read();
            return b0 >= 0 && b1 >= 0 && ((b0 << 8) | b1) == GZIP_MAGIC;
        }
    }

    private static int readHeaderInt(DataInputStream in, Path path) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw new IllegalArgumentException(
                    path + " is truncated: it ends inside its IDX header; re-download it");
        }
    }

    private static void checkMagic(int magic, int expected, Path path, String kind) {
        if (magic == expected) {
            return;
        }
        String hint =
                magic == (expected == IMAGES_MAGIC ? LABELS_MAGIC : IMAGES_MAGIC)
                        ? " (that is an IDX " + (kind.equals("images") ? "labels" : "images")
                                + " file: images and labels are swapped)"
                        : "";
        throw new IllegalArgumentException(
                String.format(
                        Locale.ROOT,
                        "%s is not an IDX %s file: magic number 0x%08X, expected 0x%08X%s",
                        path,
                        kind,
                        magic,
                        expected,
                        hint));
    }

    private static String truncated(Path images, int count, int rows, int cols) {
        return images + " is truncated (" + count + " images of " + rows + "x" + cols + ")";
    }

    private static String stripGz(String file) {
        return file.endsWith(".gz") ? file.substring(0, file.length() - 3) : file;
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // Already failing with a better error.
            }
        }
    }
}
