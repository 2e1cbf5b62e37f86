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
import com.google.gson.JsonParser;
import io.dinostream.Oracle;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The small-stem ResNet-18 replays torchvision's BasicBlock ResNet (oracle/resnet_small_stem.json,
 * made by make_resnet_oracle.py beside it): training-mode output, BatchNorm running statistics
 * after the forward pass, and the gradients of every parameter, in float64.
 */
class ResNetOracleTest {

    @Test
    void forwardStatisticsAndGradientsAgreeWithTorchvision() throws IOException {
        JsonObject oracle = load();
        try (NDManager manager = NDManager.newBaseManager()) {
            ResNet net = new ResNet(new ParameterFactory(manager, DataType.FLOAT64, 1),
                    ResNet.Depth.RESNET18, oracle.get("width").getAsInt(), true);
            JsonObject state = oracle.getAsJsonObject("state_dict");
            assertEquals(state.keySet(), net.stateDict().keySet());
            net.stateDict().forEach((name, t) -> {
                NDArray v = Oracle.tensor(manager, state.get(name), DataType.FLOAT64);
                Tensors.assign(t, t.getDataType() == DataType.INT64 ? v.toType(DataType.INT64, false) : v);
            });
            net.trainableParameters().values().forEach(p -> p.setRequiresGradient(true));
            NDArray x = Oracle.tensor(manager, oracle.get("input"), DataType.FLOAT64);
            NDArray probe = Oracle.tensor(manager, oracle.get("probe"), DataType.FLOAT64);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = net.forward(x, true);
                assertClose("output", oracle.get("output"), out, FLOAT64_RTOL);
                collector.backward(out.mul(probe).sum());
            }
            JsonObject after = oracle.getAsJsonObject("state_dict_after_forward");
            for (String name : after.keySet()) {
                assertClose(name, after.get(name), net.stateDict().get(name), FLOAT64_RTOL);
            }
            JsonObject grads = oracle.getAsJsonObject("grads");
            for (Map.Entry<String, NDArray> p : net.trainableParameters().entrySet()) {
                assertClose("grad " + p.getKey(), grads.get(p.getKey()), p.getValue().getGradient(), FLOAT64_RTOL);
            }
        }
    }

    private static JsonObject load() throws IOException {
        try (Reader r = new InputStreamReader(
                ResNetOracleTest.class.getResourceAsStream("/oracle/resnet_small_stem.json"),
                StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(r).getAsJsonObject();
        }
    }
}
