package io.dinostream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The backbone's state dict has torchvision's names, shapes and order (recorded from
 * torchvision 0.14 in test resources), so a checkpoint loads into torchvision.models.resnetNN().
 */
class ResNetTest {

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet34", "resnet50"})
    void stateDictMatchesTorchvisionNamesShapesAndOrder(String depth) throws IOException {
        JsonArray expected = torchvision().getAsJsonArray(depth);
        try (NDManager manager = NDManager.newBaseManager()) {
            ResNet net = new ResNet(new ParameterFactory(manager, DataType.FLOAT32, 1),
                    ResNet.Depth.parse(depth), 64, false);
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, NDArray> e : net.stateDict().entrySet()) {
                actual.add(e.getKey() + " " + e.getValue().getShape());
            }
            List<String> wanted = new ArrayList<>();
            for (JsonElement row : expected) {
                JsonArray r = row.getAsJsonArray();
                long[] dims = new long[r.get(1).getAsJsonArray().size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = r.get(1).getAsJsonArray().get(i).getAsLong();
                }
                wanted.add(r.get(0).getAsString() + " " + new Shape(dims));
            }
            assertEquals(wanted, actual);
            assertEquals(depth.equals("resnet50") ? 2048 : 512, net.outputDim());
        }
    }

    /** resnet10 is torchvision's ResNet(BasicBlock, [1, 1, 1, 1]): resnet18 without each stage's second block. */
    @Test
    void resnet10IsResnet18WithOneBlockPerStage() throws IOException {
        List<String> wanted = firstBlockOfEachStage("resnet18");
        try (NDManager manager = NDManager.newBaseManager()) {
            ResNet net = new ResNet(new ParameterFactory(manager, DataType.FLOAT32, 1),
                    ResNet.Depth.parse("resnet10"), 64, false);
            assertEquals(wanted, new ArrayList<>(net.stateDict().keySet()));
            assertEquals(512, net.outputDim());
            assertEquals(6 + 4 * 12 + 3 * 6, wanted.size(), "stem, four blocks, three downsamples");
        }
    }

    /** resnet14 is torchvision's ResNet(Bottleneck, [1, 1, 1, 1]): resnet50 with one block per stage. */
    @Test
    void resnet14IsResnet50WithOneBlockPerStage() throws IOException {
        List<String> wanted = firstBlockOfEachStage("resnet50");
        try (NDManager manager = NDManager.newBaseManager()) {
            ResNet net = new ResNet(new ParameterFactory(manager, DataType.FLOAT32, 1),
                    ResNet.Depth.parse("resnet14"), 64, false);
            assertEquals(wanted, new ArrayList<>(net.stateDict().keySet()));
            assertEquals(2048, net.outputDim());
            assertEquals(6 + 4 * 18 + 4 * 6, wanted.size(), "stem, four blocks, four downsamples");
        }
    }

    @Test
    void smallStemKeepsResolutionAndWidthScalesChannels() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ResNet net = new ResNet(new ParameterFactory(manager, DataType.FLOAT32, 1),
                    ResNet.Depth.RESNET18, 16, true);
            assertEquals(new Shape(16, 3, 3, 3), net.stateDict().get("conv1.weight").getShape());
            assertEquals(128, net.outputDim());
            NDArray out = net.forward(manager.randomNormal(new Shape(4, 3, 32, 32)), true);
            assertEquals(new Shape(4, 128), out.getShape());
            NDArray small = net.forward(manager.randomNormal(new Shape(2, 3, 16, 16)), false);
            assertEquals(new Shape(2, 128), small.getShape());
        }
    }

    @Test
    void trainingForwardUpdatesBatchNormStatisticsAsTorchDoes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            BatchNorm bn = new BatchNorm(new ParameterFactory(manager, DataType.FLOAT32, 1), 2);
            NDArray x = manager.randomNormal(new Shape(8, 2, 4, 4)).add(3f);
            bn.forward(x, true);
            NDArray channelMean = x.transpose(1, 0, 2, 3).reshape(2, -1).mean(new int[] {1});
            NDArray expected = channelMean.mul(0.1f); // momentum 0.1 from a zero start
            assertTrue(bn.buffers().get("running_mean").sub(expected).abs().max().getFloat() < 1e-5);
            assertEquals(1L, bn.buffers().get("num_batches_tracked").getLong());
            bn.forward(x, false);
            assertEquals(1L, bn.buffers().get("num_batches_tracked").getLong(), "eval leaves statistics alone");
        }
    }

    @Test
    void unknownDepthNamesTheChoices() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ResNet.Depth.parse("resnet19"));
        assertTrue(e.getMessage().contains("resnet10, resnet14, resnet18, resnet34 or resnet50"), e.getMessage());
    }

    /** The recorded torchvision state-dict names of a depth, without each stage's blocks after the first. */
    private static List<String> firstBlockOfEachStage(String depth) throws IOException {
        List<String> names = new ArrayList<>();
        for (JsonElement row : torchvision().getAsJsonArray(depth)) {
            String name = row.getAsJsonArray().get(0).getAsString();
            if (!name.matches("layer\\d\\.[1-9]\\d*\\..*")) {
                names.add(name);
            }
        }
        return names;
    }

    private static JsonObject torchvision() throws IOException {
        try (Reader r = new InputStreamReader(
                ResNetTest.class.getResourceAsStream("/torchvision_resnet_state_dict.json"),
                StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(r).getAsJsonObject();
        }
    }
}
