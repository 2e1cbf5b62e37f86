package io.dinostream.features;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable labelled feature matrix: {@code size()} rows of {@code dim()} floats, one label per
 * row. Labels are {@code ImageEvent} labels; the empty string means unlabelled (as an unset proto3
 * string), and a {@code null} label is taken as empty. Values must be finite.
 *
 * <p>File format (version 1), every number big-endian as Java's {@code DataOutputStream} writes it
 * (Python: {@code struct} with {@code '>'}, numpy {@code '>f4'}):
 *
 * <pre>
 * magic    8 bytes  ASCII "DINOFEAT"
 * version  int32    1
 * n        int32    rows, 0 or more
 * dim      int32    floats per row, 1 or more
 * n times:
 *   length int32    bytes of the label, 0 = unlabelled
 *   label   length bytes of standard UTF-8
 *   values  dim × float32 (IEEE 754)
 * </pre>
 *
 * Nothing may follow the last row. {@link #read} refuses a file that is not in this format, is cut
 * short or has bytes left over, with a message that says which.
 */
public final class Features {

    private static final byte[] MAGIC = "DINOFEAT".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int HEADER_BYTES = MAGIC.length + 3 * Integer.BYTES;

    /** {@code torch.nn.functional.normalize}'s default eps: a zero row stays zero. */
    private static final double NORMALIZE_EPS = 1e-12;

    private final int n;
    private final int dim;
    private final float[] data;
    private final String[] labels;

    /** One row per entry of rows, all of the same length; both arrays are copied. */
    public Features(float[][] rows, String[] labels) {
        this(flatten(rows), rows.length, rows.length == 0 ? 0 : rows[0].length, labels);
    }

    /** n rows of dim floats, row-major in data (n × dim values); both arrays are copied. */
    public Features(float[] data, int n, int dim, String[] labels) {
        this(data.clone(), n, dim, copyLabels(labels, n), true);
    }

    private Features(float[] data, int n, int dim, String[] labels, boolean check) {
        if (n < 0) {
            throw new IllegalArgumentException("number of rows must not be negative, got " + n);
        }
        if (dim < 1) {
            throw new IllegalArgumentException("features need at least 1 dimension, got " + dim);
        }
        if ((long) n * dim != data.length) {
            throw new IllegalArgumentException(
                    n + " rows of " + dim + " floats need " + ((long) n * dim) + " values, got " + data.length);
        }
        if (check) {
            for (int i = 0; i < data.length; i++) {
                if (!Float.isFinite(data[i])) {
                    throw new IllegalArgumentException(
                            "feature " + (i % dim) + " of row " + (i / dim) + " is " + data[i] + ": values must be finite");
                }
            }
        }
        this.n = n;
        this.dim = dim;
        this.data = data;
        this.labels = labels;
    }

    private static float[] flatten(float[][] rows) {
        if (rows.length == 0) {
            throw new IllegalArgumentException(
                    "no rows: the dimension is unknown; use Features(float[], n, dim, labels) for an empty set");
        }
        int dim = rows[0].length;
        float[] flat = new float[Math.multiplyExact(rows.length, dim)];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != dim) {
                throw new IllegalArgumentException(
                        "row " + i + " has " + rows[i].length + " values but row 0 has " + dim);
            }
            System.arraycopy(rows[i], 0, flat, i * dim, dim);
        }
        return flat;
    }

    private static String[] copyLabels(String[] labels, int n) {
        if (labels.length != n) {
            throw new IllegalArgumentException(n + " rows need " + n + " labels, got " + labels.length);
        }
        String[] copy = new String[n];
        for (int i = 0; i < n; i++) {
            copy[i] = labels[i] == null ? "" : labels[i];
        }
        return copy;
    }

    /** Number of rows. */
    public int size() {
        return n;
    }

    /** Floats per row. */
    public int dim() {
        return dim;
    }

    /** Value col of row. */
    public float get(int row, int col) {
        checkRow(row);
        if (col < 0 || col >= dim) {
            throw new IndexOutOfBoundsException("column " + col + " of " + dim);
        }
        return data[row * dim + col];
    }

    /** A copy of row i. */
    public float[] row(int i) {
        checkRow(i);
        return Arrays.copyOfRange(data, i * dim, (i + 1) * dim);
    }

    /** The label of row i, "" when unlabelled. */
    public String label(int i) {
        checkRow(i);
        return labels[i];
    }

    /** Whether row i has a (non-empty) label. */
    public boolean isLabelled(int i) {
        return !label(i).isEmpty();
    }

    /** All labels in row order, "" for unlabelled rows. */
    public List<String> labels() {
        return List.of(labels);
    }

    /**
     * Every row divided by its L2 norm, as {@code torch.nn.functional.normalize(x, dim=1, p=2)}
     * (facebookresearch/dino eval_knn.py normalises features this way): the norm is taken in double
     * precision and floored at 1e-12, so an all-zero row stays zero.
     */
    public Features l2Normalized() {
        float[] out = new float[data.length];
        for (int r = 0; r < n; r++) {
            int base = r * dim;
            double sum = 0;
            for (int c = 0; c < dim; c++) {
                double v = data[base + c];
                sum += v * v;
            }
            double norm = Math.max(Math.sqrt(sum), NORMALIZE_EPS);
            for (int c = 0; c < dim; c++) {
                out[base + c] = (float) (data[base + c] / norm);
            }
        }
        return new Features(out, n, dim, labels, false);
    }

    /** The row-major values, not copied: callers in this package must not write to it. */
    float[] values() {
        return data;
    }

    /** Writes this matrix to path in the format described above, replacing any file there. */
    public void write(Path path) {
        try (DataOutputStream out =
                new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(path), 1 << 16))) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(n);
            out.writeInt(dim);
            for (int r = 0; r < n; r++) {
                byte[] label = labels[r].getBytes(StandardCharsets.UTF_8);
                out.writeInt(label.length);
                out.write(label);
                for (int c = 0; c < dim; c++) {
                    out.writeFloat(data[r * dim + c]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write features file " + path, e);
        }
    }

    /** Reads a file written by {@link #write}; refuses anything else with a message saying why. */
    public static Features read(Path path) {
        long fileSize;
        try {
            fileSize = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("features file " + path + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("could not read features file " + path, e);
        }
        try (DataInputStream in =
                new DataInputStream(new BufferedInputStream(Files.newInputStream(path), 1 << 16))) {
            byte[] magic = new byte[MAGIC.length];
            int got = in.readNBytes(magic, 0, magic.length);
            if (!Arrays.equals(magic, 0, got, MAGIC, 0, got) || got == 0) {
                throw new IllegalArgumentException(
                        path + " is not a DINO Stream features file: it does not start with \"DINOFEAT\"");
            }
            if (fileSize < HEADER_BYTES) {
                throw truncated(path, "the " + HEADER_BYTES + "-byte header", fileSize);
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException(
                        path + " is features file version " + version + "; this build reads version " + VERSION);
            }
            int n = in.readInt();
            int dim = in.readInt();
            if (n < 0 || dim < 1) {
                throw new IllegalArgumentException(
                        path + " is corrupt: header says " + n + " rows of " + dim + " floats");
            }
            long minimum = HEADER_BYTES + (long) n * (Integer.BYTES + (long) dim * Float.BYTES);
            if (minimum > fileSize) {
                throw truncated(path, n + " rows of " + dim + " floats (at least " + minimum + " bytes)", fileSize);
            }
            if ((long) n * dim > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(
                        path + " holds " + n + " × " + dim + " floats, more than one Java array can hold");
            }
            float[] data = new float[n * dim];
            String[] labels = new String[n];
            long consumed = HEADER_BYTES;
            byte[] rowBytes = new byte[dim * Float.BYTES];
            for (int r = 0; r < n; r++) {
                int length = in.readInt();
                long rest = fileSize - consumed - Integer.BYTES;
                if (length < 0 || length > rest) {
                    throw new IllegalArgumentException(path + " is corrupt or truncated: row " + r
                            + " has a label of " + length + " bytes, " + rest + " bytes are left in the file");
                }
                byte[] label = in.readNBytes(length);
                labels[r] = decodeUtf8(label, path, r);
                in.readFully(rowBytes);
                ByteBuffer.wrap(rowBytes).asFloatBuffer().get(data, r * dim, dim);
                consumed += Integer.BYTES + length + rowBytes.length;
            }
            if (consumed != fileSize) {
                throw new IllegalArgumentException(path + " has " + (fileSize - consumed)
                        + " bytes after its last row (" + n + " rows of " + dim + " floats): not a valid features file");
            }
            for (int i = 0; i < data.length; i++) {
                if (!Float.isFinite(data[i])) {
                    throw new IllegalArgumentException(path + ": feature " + (i % dim) + " of row " + (i / dim)
                            + " is " + data[i] + "; values must be finite");
                }
            }
            return new Features(data, n, dim, labels, false);
        } catch (EOFException e) {
            throw truncated(path, "all its rows", fileSize);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read features file " + path, e);
        }
    }

    private static IllegalArgumentException truncated(Path path, String expected, long fileSize) {
        return new IllegalArgumentException(
                path + " is truncated: it should hold " + expected + " but has only " + fileSize + " bytes");
    }

    private static String decodeUtf8(byte[] bytes, Path path, int row) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(path + " is corrupt: the label of row " + row + " is not valid UTF-8");
        }
    }

    private void checkRow(int row) {
        if (row < 0 || row >= n) {
            throw new IndexOutOfBoundsException("row " + row + " of " + n);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Features other
                && other.n == n
                && other.dim == dim
                && Arrays.equals(other.data, data)
                && Arrays.equals(other.labels, labels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(data) + Arrays.hashCode(labels)) + dim;
    }

    @Override
    public String toString() {
        return "Features[" + n + " x " + dim + "]";
    }
}
