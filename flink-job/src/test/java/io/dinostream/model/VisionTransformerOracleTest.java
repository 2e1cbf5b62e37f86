package io.dinostream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.dinostream.Oracle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * VisionTransformer + DinoHead replay the official vision_transformer.py and utils.MultiCropWrapper
 * (oracle/vit_oracle.json; its README says how it was made): a tiny ViT (patch 4, 32 px, dim 16,
 * depth 2, 2 heads) in eval mode at 32 px and at 16 px (which interpolates the position
 * embedding), the interpolated embedding itself, the last block's self-attention, and in training
 * mode the wrapper's output on four views with the gradients of sum(output × R) for every
 * parameter: to 1e-9 relative in float64 and 1e-4 in float32. And the replay is sharp: moving a
 * value of the oracle by 1e-6 makes it fail.
 */
class VisionTransformerOracleTest {

    private static final JsonObject ORACLE = Oracle.file("vit_oracle.json");
    private static final double FLOAT32_RTOL = 1e-4;
    /**
     * Entries near zero are compared relative to a fraction of the tensor's largest value: Oracle's
     * 1e-3 in float64; 1e-2 in float32, whose rounding alone leaves ~1e-7 of the largest value on a
     * gradient entry that is a small sum of large terms (blocks.0.mlp.fc1.weight[63], 2e-5 of a
     * tensor whose largest entry is 0.3, is off by 3.2e-8).
     */
    private static final double FLOAT64_FLOOR = 1e-3;
    private static final double FLOAT32_FLOOR = 1e-2;
    private static final double PERTURBATION = 1e-6;

    /** The oracle's tensors as flat values with shapes: "params/NAME", "grads/NAME", and the top-level keys. */
    private record Expected(Map<String, double[]> tensors, Map<String, Shape> shapes) {

        static Expected of(JsonObject oracle) {
            Map<String, double[]> tensors = new LinkedHashMap<>();
            Map<String, Shape> shapes = new LinkedHashMap<>();
            oracle.getAsJsonObject("params").entrySet().forEach(e ->
                    put(tensors, shapes, "params/" + e.getKey(), e.getValue().getAsJsonObject().get("value")));
            oracle.getAsJsonObject("grads").entrySet().forEach(e ->
                    put(tensors, shapes, "grads/" + e.getKey(), e.getValue()));
            for (String key : List.of("input_global", "input_local", "R", "cls_global", "cls_local", "pos_embed_local",
                    "last_selfattention_global", "multicrop_output")) {
                put(tensors, shapes, key, oracle.get(key));
            }
            return new Expected(tensors, shapes);
        }

        private static void put(Map<String, double[]> tensors, Map<String, Shape> shapes, String key, JsonElement e) {
            tensors.put(key, Oracle.values(e));
            shapes.put(key, Oracle.shape(e));
        }

        double[] values(String key) {
            return tensors.get(key);
        }

        NDArray tensor(NDManager manager, String key, DataType type) {
            NDArray d = manager.create(tensors.get(key), shapes.get(key));
            return type == DataType.FLOAT64 ? d : d.toType(type, false);
        }

        /** A copy with value i of one tensor moved by delta. */
        Expected moved(String key, int i, double delta) {
            Map<String, double[]> copy = new LinkedHashMap<>(tensors);
            double[] values = copy.get(key).clone();
            values[i] += delta;
            copy.put(key, values);
            return new Expected(copy, shapes);
        }
    }

    private static final Expected EXPECTED = Expected.of(ORACLE);

    @Test
    void parameterNamesAreTheOfficialOnesInTheOfficialOrder() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MultiCropWrapper net = build(manager, DataType.FLOAT64);
            assertEquals(List.copyOf(ORACLE.getAsJsonObject("params").keySet()), List.copyOf(net.stateDict().keySet()));
            assertEquals(List.copyOf(ORACLE.getAsJsonObject("grads").keySet()),
                    List.copyOf(net.trainableParameters().keySet()), "weight_g is frozen with norm_last_layer");
            net.stateDict().forEach((name, t) -> assertEquals(EXPECTED.shapes().get("params/" + name), t.getShape(),
                    name));
        }
    }

    @Test
    void replayAgreesWithTheOfficialCodeInFloat64() {
        assertEquals(List.of(), mismatches(EXPECTED, replay(EXPECTED, DataType.FLOAT64), Oracle.FLOAT64_RTOL,
                FLOAT64_FLOOR));
    }

    @Test
    void replayAgreesWithTheOfficialCodeInFloat32() {
        assertEquals(List.of(), mismatches(EXPECTED, replay(EXPECTED, DataType.FLOAT32), FLOAT32_RTOL,
                FLOAT32_FLOOR));
    }

    @Test
    void replayFailsWhenAnyExpectedValueMovesByOneMillionth() {
        Map<String, double[]> computed = replay(EXPECTED, DataType.FLOAT64);
        int checked = 0;
        for (Map.Entry<String, double[]> e : computed.entrySet()) {
            double[] moved = EXPECTED.values(e.getKey()).clone();
            double[] actual = e.getValue();
            assertEquals(-1, firstMismatch(moved, actual, Oracle.FLOAT64_RTOL, FLOAT64_FLOOR), e.getKey());
            for (int i = 0; i < moved.length; i++) {
                double original = moved[i];
                for (double delta : new double[] {PERTURBATION, -PERTURBATION}) {
                    moved[i] = original + delta;
                    assertEquals(i, firstMismatch(moved, actual, Oracle.FLOAT64_RTOL, FLOAT64_FLOOR),
                            e.getKey() + "[" + i + "] moved by " + delta + " went unnoticed");
                }
                moved[i] = original;
                checked++;
            }
        }
        assertTrue(checked > 20_000, "every output value checked, " + checked);
    }

    @Test
    void replayFailsWhenAParameterOrInputValueMovesByOneMillionth() {
        // A value of each input and of parameters at every stage, each in a replay of its own (every
        // expected value is moved in the test above; a replay per parameter value would take minutes).
        List<String> keys = List.of("input_global", "input_local", "R", "params/backbone.cls_token",
                "params/backbone.pos_embed", "params/backbone.patch_embed.proj.weight",
                "params/backbone.blocks.0.attn.qkv.bias", "params/backbone.blocks.1.mlp.fc2.weight",
                "params/backbone.norm.bias", "params/head.last_layer.weight_v");
        int k = 0;
        for (String key : keys) {
            int i = (7 * k++ + 3) % EXPECTED.values(key).length;
            Expected moved = EXPECTED.moved(key, i, PERTURBATION);
            List<String> failed = mismatches(moved, replay(moved, DataType.FLOAT64), Oracle.FLOAT64_RTOL,
                    FLOAT64_FLOOR);
            assertFalse(failed.isEmpty(), key + "[" + i + "] moved by 1e-6 and the replay still agreed");
        }
    }

    /** The computed values that disagree with the oracle at rtol: the first bad index of each, and its values. */
    private static List<String> mismatches(Expected oracle, Map<String, double[]> computed, double rtol,
            double floor) {
        List<String> failed = new ArrayList<>();
        computed.forEach((key, actual) -> {
            double[] expected = oracle.values(key);
            int i = firstMismatch(expected, actual, rtol, floor);
            if (i >= 0) {
                failed.add(key + "[" + i + "]: expected " + (i < expected.length ? expected[i] : "?") + ", computed "
                        + (i < actual.length ? actual[i] : "?") + " (largest |expected| " + scale(expected) + ")");
            }
        });
        return failed;
    }

    /**
     * The first index where actual misses expected by more than rtol · (|expected| + floor · max
     * |expected|) ({@link Oracle#assertClose}'s tolerance with floor 1e-3); -1 when none does.
     */
    private static int firstMismatch(double[] expected, double[] actual, double rtol, double floor) {
        if (expected.length != actual.length) {
            return Integer.MAX_VALUE;
        }
        double scale = scale(expected);
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(actual[i] - expected[i]) <= rtol * (Math.abs(expected[i]) + floor * scale))) {
                return i;
            }
        }
        return -1;
    }

    private static double scale(double[] values) {
        double scale = 0;
        for (double v : values) {
            scale = Math.max(scale, Math.abs(v));
        }
        return scale;
    }

    /** Everything the oracle holds results for, computed by our ViT from its parameters and inputs. */
    private static Map<String, double[]> replay(Expected oracle, DataType type) {
        Map<String, double[]> out = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            MultiCropWrapper net = build(manager, type);
            net.stateDict().forEach((name, t) -> Tensors.assign(t, oracle.tensor(manager, "params/" + name, type)));
            VisionTransformer vit = (VisionTransformer) net.backbone();
            NDArray global = oracle.tensor(manager, "input_global", type);
            NDArray local = oracle.tensor(manager, "input_local", type);

            out.put("cls_global", doubles(vit.forward(global, false)));
            out.put("cls_local", doubles(vit.forward(local, false)));
            NDArray localTokens = manager.zeros(new Shape(1, 17, 16), type);
            out.put("pos_embed_local", doubles(vit.interpolatePosEncoding(localTokens, 16, 16)));
            out.put("last_selfattention_global", doubles(vit.lastSelfAttention(global)));

            net.trainableParameters().values().forEach(p -> p.setRequiresGradient(true));
            NDArray probe = oracle.tensor(manager, "R", type);
            // utils.MultiCropWrapper on [global, global flipped on width, local, local flipped on height]
            List<NDArray> views = List.of(global, global.flip(3), local, local.flip(2));
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray output = net.forward(views, true);
                out.put("multicrop_output", doubles(output));
                collector.backward(output.mul(probe).sum());
            }
            net.trainableParameters().forEach((name, p) -> out.put("grads/" + name, doubles(p.getGradient())));
        }
        return out;
    }

    private static double[] doubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    private static MultiCropWrapper build(NDManager manager, DataType type) {
        JsonObject c = ORACLE.getAsJsonObject("config");
        JsonObject h = ORACLE.getAsJsonObject("head");
        assertEquals(VisionTransformer.LAYER_NORM_EPS, ORACLE.get("layer_norm_eps").getAsDouble());
        assertTrue(c.get("qkv_bias").getAsBoolean());
        ParameterFactory f = new ParameterFactory(manager, type, 1);
        VisionTransformer vit = new VisionTransformer(f, c.getAsJsonArray("img_size").get(0).getAsInt(),
                c.get("patch_size").getAsInt(), c.get("embed_dim").getAsInt(), c.get("depth").getAsInt(),
                c.get("num_heads").getAsInt(), c.get("mlp_ratio").getAsDouble(), c.get("drop_path_rate").getAsDouble());
        DinoHead head = new DinoHead(f, h.get("in_dim").getAsInt(), h.get("out_dim").getAsInt(),
                h.get("hidden_dim").getAsInt(), h.get("bottleneck_dim").getAsInt(), h.get("nlayers").getAsInt(),
                h.get("norm_last_layer").getAsBoolean(), h.get("use_bn").getAsBoolean());
        return new MultiCropWrapper(vit, head);
    }
}
