package io.dinostream.model;

import static io.dinostream.Oracle.FLOAT64_RTOL;
import static io.dinostream.Oracle.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import io.dinostream.Oracle;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DinoHead replays vision_transformer.DINOHead: forward, intermediates and gradients. */
class DinoHeadOracleTest {

    private static final JsonObject SECTION = Oracle.section("dino_head");
    private static final JsonObject CONFIG = SECTION.getAsJsonObject("config");

    @Test
    void forwardAndGradientsAgreeWithOfficialInFloat64() {
        try (NDManager manager = NDManager.newBaseManager()) {
            DinoHead head = newHead(manager);
            JsonObject params = SECTION.getAsJsonObject("params");
            assertEquals(params.keySet(), head.parameters().keySet(), "official parameter names");
            head.parameters().forEach(
                    (name, p) -> Tensors.assign(p, Oracle.tensor(manager, params.get(name), DataType.FLOAT64)));
            assertEquals(
                    List.of("mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "mlp.4.weight",
                            "mlp.4.bias", "last_layer.weight_v"),
                    List.copyOf(head.trainableParameters().keySet()),
                    "weight_g is frozen with norm_last_layer");
            head.trainableParameters().values().forEach(p -> p.setRequiresGradient(true));

            NDArray x = Oracle.tensor(manager, SECTION.get("input"), DataType.FLOAT64);
            NDArray probe = Oracle.tensor(manager, SECTION.get("grad_probe_R"), DataType.FLOAT64);
            assertClose("last_layer_effective_weight", SECTION.get("last_layer_effective_weight"),
                    head.lastLayer().effectiveWeight(), FLOAT64_RTOL);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = head.forward(x, true);
                assertClose("output", SECTION.get("output"), out, FLOAT64_RTOL);
                collector.backward(out.mul(probe).sum());
            }
            JsonObject grads = SECTION.getAsJsonObject("grads_of_sum_out_times_R");
            for (Map.Entry<String, NDArray> e : head.trainableParameters().entrySet()) {
                assertClose("grad " + e.getKey(), grads.get(e.getKey()), e.getValue().getGradient(), FLOAT64_RTOL);
            }
        }
    }

    @Test
    void mlpOutputAndNormalisedBottleneckAgree() {
        try (NDManager manager = NDManager.newBaseManager()) {
            JsonObject params = SECTION.getAsJsonObject("params");
            Linear l0 = linear(manager, params, "mlp.0");
            Linear l2 = linear(manager, params, "mlp.2");
            Linear l4 = linear(manager, params, "mlp.4");
            Sequential mlp = new Sequential(l0, new Gelu(), l2, new Gelu(), l4);
            NDArray x = Oracle.tensor(manager, SECTION.get("input"), DataType.FLOAT64);
            NDArray h = mlp.forward(x, true);
            assertClose("mlp_output", SECTION.get("mlp_output"), h, FLOAT64_RTOL);
            assertClose("normalized_bottleneck", SECTION.get("normalized_bottleneck"),
                    h.normalize(2, -1, 1e-12), FLOAT64_RTOL);
        }
    }

    private static Linear linear(NDManager manager, JsonObject params, String prefix) {
        return new Linear(
                Oracle.tensor(manager, params.get(prefix + ".weight"), DataType.FLOAT64),
                Oracle.tensor(manager, params.get(prefix + ".bias"), DataType.FLOAT64));
    }

    private static DinoHead newHead(NDManager manager) {
        return new DinoHead(
                new ParameterFactory(manager, DataType.FLOAT64, 1),
                CONFIG.get("in_dim").getAsInt(),
                CONFIG.get("out_dim").getAsInt(),
                CONFIG.get("hidden_dim").getAsInt(),
                CONFIG.get("bottleneck_dim").getAsInt(),
                CONFIG.get("nlayers").getAsInt(),
                CONFIG.get("norm_last_layer").getAsBoolean(),
                CONFIG.get("use_bn").getAsBoolean());
    }
}
