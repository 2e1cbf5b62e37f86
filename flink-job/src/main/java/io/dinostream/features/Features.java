package io.dinostream.features;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable labelled feature matrix: {@code size()} rows of {@code dim()} floats, one label per
 * row. Labels are {@code ImageEvent} labels; the empty string means unlabelled (as an unset proto3
 * string), and a {@code null} label is taken as empty. Values must be finite.
 *
 * <p>Files are numpy {@code .npz} archives, as {@code numpy.savez} writes them, so numpy, pandas or
 * any tool that reads numpy loads them:
 *
 * <pre>
 * features  float32, rows × dimensions
 * labels    str (numpy unicode), one per row, "" when unlabelled
 * </pre>
 *
 * In Python: {@code f = numpy.load(path); f["features"], f["labels"]}. numpy drops the trailing NUL
 * characters of a str element, so a label ending in one does not survive.
 */
public final class Features {

    /** The arrays of a features file. */
    static final String FEATURES = "features";
    static final String LABELS = "labels";

    /** How the files of earlier versions began, so that one gets a message saying what to do. */
    private static final byte[] OLD_MAGIC = "DINOFEAT".getBytes(StandardCharsets.US_ASCII);

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

    /** Writes this matrix to path as described above (numpy .npz), replacing any file there. */
    public void write(Path path) {
        Map<String, Npz.Array> arrays = new LinkedHashMap<>();
        arrays.put(FEATURES, Npz.float32(data, n, dim));
        arrays.put(LABELS, Npz.unicode(labels));
        try {
            Npz.write(path, arrays);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write features file " + path, e);
        }
    }

    /**
     * Reads a features file: what {@link #write} writes, or any .npz with a 2-D float32 or float64
     * {@code features} array and, optionally, a 1-D str {@code labels} array (rows without are
     * unlabelled). Refuses anything else with a message that says why.
     */
    public static Features read(Path path) {
        byte[] start;
        try (var in = Files.newInputStream(path)) {
            start = in.readNBytes(OLD_MAGIC.length);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("features file " + path + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("could not read features file " + path, e);
        }
        if (Arrays.equals(start, OLD_MAGIC)) {
            throw new IllegalArgumentException(path + " is a features file of an earlier DINO Stream (DINOFEAT);"
                    + " features files are numpy .npz archives now: run embed again to write it");
        }
        if (!Npz.looksLikeZip(start)) {
            throw new IllegalArgumentException(path + " is not a features file: it is no .npz archive (as embed and"
                    + " numpy.savez write) with a features array and a labels array");
        }
        Map<String, Npz.Array> arrays;
        try {
            arrays = Npz.read(path);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read features file " + path, e);
        }
        Npz.Array features = arrays.get(FEATURES);
        if (features == null || features.shape().length != 2 || features.shape()[1] < 1) {
            throw new IllegalArgumentException(path + " holds " + Npz.describe(arrays) + "; a features file needs a"
                    + " 2-D array features (rows × dimensions, 1 or more) and a 1-D array labels");
        }
        int rows = Math.toIntExact(features.shape()[0]);
        int columns = Math.toIntExact(features.shape()[1]);
        float[] values = Npz.floats(features, path + ": array features");
        String[] rowLabels = new String[rows];
        Arrays.fill(rowLabels, "");
        Npz.Array labelArray = arrays.get(LABELS);
        if (labelArray != null) {
            if (labelArray.shape().length != 1 || labelArray.shape()[0] != rows) {
                throw new IllegalArgumentException(path + " holds " + Npz.describe(arrays) + "; labels must be a 1-D"
                        + " array of one label per row of features");
            }
            rowLabels = Npz.strings(labelArray, path + ": array labels");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(path + ": feature " + (i % columns) + " of row " + (i / columns)
                        + " is " + values[i] + "; values must be finite");
            }
        }
        return new Features(values, rows, columns, rowLabels, false);
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
