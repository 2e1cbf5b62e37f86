package io.dinostream.train;

import static io.dinostream.Oracle.FLOAT64_RTOL;
import static io.dinostream.Oracle.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.dinostream.Oracle;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sgd replays torch.optim.SGD as main_dino.py drives it with --optimizer sgd: two parameter groups,
 * momentum 0.9, lr and weight decay set each iteration, the last layer's gradient absent at first.
 */
class SgdOracleTest {

    private static final JsonObject ORACLE = Oracle.file("sgd_oracle.json");

    @Test
    void parametersAndMomentumBuffersFollowTorchStepByStep() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            ORACLE.getAsJsonObject("initial").entrySet()
                    .forEach(e -> params.put(e.getKey(), Oracle.tensor(manager, e.getValue(), DataType.FLOAT64)));
            List<String> regularized = new java.util.ArrayList<>();
            ORACLE.getAsJsonArray("regularized").forEach(n -> regularized.add(n.getAsString()));
            params.forEach((name, p) -> assertEquals(regularized.contains(name), Optimizer.isRegularized(name, p), name));
            try (Optimizer sgd = Optimizer.Kind.SGD.create(manager, params)) {
                int it = 0;
                for (JsonElement s : ORACLE.getAsJsonArray("steps")) {
                    JsonObject step = s.getAsJsonObject();
                    Map<String, NDArray> grads = new LinkedHashMap<>();
                    step.getAsJsonObject("grads").entrySet()
                            .forEach(e -> grads.put(e.getKey(), Oracle.tensor(manager, e.getValue(), DataType.FLOAT64)));
                    sgd.step(grads, step.get("lr").getAsDouble(), step.get("weight_decay").getAsDouble());
                    String what = "step " + it++;
                    step.getAsJsonObject("params_after").entrySet().forEach(e ->
                            assertClose(what + " " + e.getKey(), e.getValue(), params.get(e.getKey()), FLOAT64_RTOL));
                    step.getAsJsonObject("momentum_buffers_after").entrySet().forEach(e ->
                            assertClose(what + " buffer " + e.getKey(), e.getValue(),
                                    sgd.stateTensors().get("sgd.momentum_buffer." + e.getKey()), FLOAT64_RTOL));
                }
                assertEquals(3L, sgd.updateCounts().get("last_layer.weight"), "skipped while its gradient was absent");
                assertEquals(4L, sgd.updateCounts().get("conv.weight"));
            }
        }
    }

    @Test
    void anUnknownOptimizerNameIsRefusedWithTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Optimizer.Kind.parse("lars"));
        assertTrue(e.getMessage().contains("adamw or sgd"), e.getMessage());
        assertEquals(Optimizer.Kind.SGD, Optimizer.Kind.parse("SGD"));
    }
}
