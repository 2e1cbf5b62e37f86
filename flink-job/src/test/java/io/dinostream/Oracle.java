package io.dinostream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Values computed with the official PyTorch DINO code (test resource oracle/dino_oracle.json; its
 * README says how they were made), and comparisons at the agreement it promises.
 */
public final class Oracle {

    /** Agreement promised for float64 values. */
    public static final double FLOAT64_RTOL = 1e-9;

    private static JsonObject root;

    private Oracle() {}

    public static synchronized JsonObject root() {
        if (root == null) {
            root = file("dino_oracle.json");
        }
        return root;
    }

    /** Another oracle file of test resources/oracle, parsed. */
    public static JsonObject file(String name) {
        try (InputStream in = Oracle.class.getResourceAsStream("/oracle/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource oracle/" + name + " is missing");
            }
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonObject section(String name) {
        return root().getAsJsonObject(name);
    }

    /** The shape of a nested JSON list. */
    public static Shape shape(JsonElement e) {
        List<Long> dims = new ArrayList<>();
        while (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            dims.add((long) a.size());
            if (a.size() == 0) {
                break;
            }
            e = a.get(0);
        }
        return new Shape(dims.stream().mapToLong(Long::longValue).toArray());
    }

    /** A nested JSON list flattened row-major. */
    public static double[] values(JsonElement e) {
        List<Double> out = new ArrayList<>();
        flatten(e, out);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void flatten(JsonElement e, List<Double> out) {
        if (e.isJsonArray()) {
            for (JsonElement c : e.getAsJsonArray()) {
                flatten(c, out);
            }
        } else {
            out.add(e.getAsDouble());
        }
    }

    /** A float64 (or cast) tensor with the JSON list's values and shape. */
    public static NDArray tensor(NDManager manager, JsonElement e, DataType type) {
        NDArray d = manager.create(values(e), shape(e));
        return type == DataType.FLOAT64 ? d : d.toType(type, false);
    }

    /**
     * Asserts element-wise agreement: |actual − expected| ≤ rtol · (|expected| + 1e-3 · max|expected|),
     * i.e. relative, with a floor one thousandth of the tensor's scale for entries near zero.
     */
    public static void assertClose(String what, double[] expected, double[] actual, double rtol) {
        assertEquals(expected.length, actual.length, what + ": number of values");
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            double tol = rtol * (Math.abs(expected[i]) + 1e-3 * scale);
            if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
                fail(what + "[" + i + "]: expected " + expected[i] + " but was " + actual[i]
                        + " (|diff| " + Math.abs(actual[i] - expected[i]) + " > " + tol + ")");
            }
        }
    }

    public static void assertClose(String what, JsonElement expected, NDArray actual, double rtol) {
        assertEquals(shape(expected), actual.getShape(), what + ": shape");
        assertClose(what, values(expected), actual.toType(DataType.FLOAT64, false).toDoubleArray(), rtol);
    }

    public static void assertClose(String what, double expected, double actual, double rtol) {
        assertClose(what, new double[] {expected}, new double[] {actual}, rtol);
    }
}
