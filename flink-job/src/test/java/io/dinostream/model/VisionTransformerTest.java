package io.dinostream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ViT's structure, names, interpolation weights, drop path and memory, on tiny models. */
class VisionTransformerTest {

    @Test
    void vitSmallPatch16HasTimmsAndTheOfficialNamesShapesAndOrder() throws IOException {
        // oracle/vit_small_patch16_224_state_dict.txt: timm's vit_small_patch16_224(num_classes=0),
        // checked equal to the official vits.vit_small(patch_size=16) by make_vit_names.py beside it.
        Map<String, Shape> expected = new LinkedHashMap<>();
        try (InputStream in = getClass().getResourceAsStream("/oracle/vit_small_patch16_224_state_dict.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split(" ");
                long[] dims = java.util.Arrays.stream(parts[1].split(",")).mapToLong(Long::parseLong).toArray();
                expected.put(parts[0], new Shape(dims));
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            Backbone vit = ModelSpec.paperVit("vit_small", 16).buildBackbone(
                    new ParameterFactory(manager, DataType.FLOAT32, 0));
            Map<String, Shape> actual = new LinkedHashMap<>();
            vit.stateDict().forEach((name, t) -> actual.put(name, t.getShape()));
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
            assertEquals(expected, actual);
            assertEquals(384, vit.outputDim());
        }
    }

    @Test
    void theOfficialSizesAreTheirs() {
        assertEquals(List.of(192, 12, 3), dims(VisionTransformer.Size.VIT_TINY));
        assertEquals(List.of(384, 12, 6), dims(VisionTransformer.Size.VIT_SMALL));
        assertEquals(List.of(768, 12, 12), dims(VisionTransformer.Size.VIT_BASE));
        assertEquals(VisionTransformer.Size.VIT_SMALL, VisionTransformer.Size.parse("ViT-Small").orElseThrow());
        assertTrue(VisionTransformer.Size.parse("resnet50").isEmpty());
        assertEquals("vit_base", new ModelSpec("VIT_BASE", 1, true, 8, 8, 8, 3, true, false).backbone());
    }

    @Test
    void otherSizesAreWrittenVitDimDepthHeads() {
        assertEquals(new VisionTransformer.Dims(96, 6, 3), VisionTransformer.Dims.parse("vit:96:6:3").orElseThrow());
        assertEquals(new VisionTransformer.Dims(384, 12, 6), VisionTransformer.Dims.parse("vit_small").orElseThrow());
        assertTrue(VisionTransformer.Dims.parse("resnet18").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> VisionTransformer.Dims.parse("vit:10:2:3"));
        assertThrows(IllegalArgumentException.class, () -> VisionTransformer.Dims.parse("vit:96:6"));
        assertTrue(new ModelSpec("vit:96:6:3", 1, true, 8, 8, 8, 3, true, false, 4, 0.1, 32).isVit());
    }

    private static List<Integer> dims(VisionTransformer.Size s) {
        return List.of(s.embedDim, s.depth, s.heads);
    }

    @Test
    void bicubicWeightsAreTorchsForInterpolateWithAScaleFactor() throws IOException {
        // oracle/bicubic_weights.json: F.interpolate(mode='bicubic', scale_factor=(out + 0.1) / in)
        // applied to the identity, torch 1.13 (make_bicubic_oracle.py).
        JsonObject oracle = Oracle.file("bicubic_weights.json");
        for (JsonElement c : oracle.getAsJsonArray("cases")) {
            JsonObject k = c.getAsJsonObject();
            int in = k.get("in").getAsInt();
            double factor = k.get("scale_factor").getAsDouble();
            assertEquals(k.get("out").getAsInt(), BicubicInterpolation.outputSize(in, factor));
            Oracle.assertClose("weights " + in + " -> " + k.get("out"), Oracle.values(k.get("weights")),
                    BicubicInterpolation.weights(in, factor), 1e-12);
        }
    }

    @Test
    void dropPathRatesRiseLinearlyOverTheBlocksAsTorchLinspaceInFloat32() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // [x.item() for x in torch.linspace(0, 0.1, 4)], and for 12 blocks, torch 1.13
            assertArrayEquals(new double[] {0.0, 0.03333333507180214, 0.06666666269302368, 0.10000000149011612},
                    tiny(manager, 0.1, 4).dropPathRates());
        }
        float[] twelve = VisionTransformer.linspace(0.1f, 12);
        double[] torch = {0.0, 0.00909090880304575, 0.0181818176060915, 0.027272727340459824, 0.036363635212183,
            0.045454543083906174, 0.054545458406209946, 0.06363636255264282, 0.0727272778749466, 0.08181818574666977,
            0.09090909361839294, 0.10000000149011612};
        for (int i = 0; i < 12; i++) {
            assertEquals(torch[i], twelve[i], "block " + i);
        }
    }

    @Test
    void dropPathIsDrawnFromTheSeedAndOnlyInTraining() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny(manager, 0.5, 2);
            VisionTransformer same = tiny(manager, 0.0, 2);
            NDArray x = manager.randomNormal(new Shape(8, 3, 16, 16), DataType.FLOAT32);

            vit.reseed(42);
            float[] first = vit.forward(x, true).toFloatArray();
            vit.reseed(42);
            float[] again = vit.forward(x, true).toFloatArray();
            vit.reseed(43);
            float[] other = vit.forward(x, true).toFloatArray();

            assertArrayEquals(first, again);
            assertFalse(java.util.Arrays.equals(first, other), "another seed drops other paths");
            assertArrayEquals(same.forward(x, true).toFloatArray(), vit.forward(x, false).toFloatArray(),
                    "eval mode drops nothing: the same weights without drop path");
        }
    }

    @Test
    void aForwardPassLeavesNothingOnTheModelsManager() {
        try (NDManager owner = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny(owner, 0.2, 2);
            int before = owner.getManagedArrays().size();
            for (int side : new int[] {16, 8, 12}) {
                try (NDManager step = owner.newSubManager()) {
                    NDArray x = step.randomNormal(new Shape(2, 3, side, side + 4), DataType.FLOAT32);
                    vit.reseed(side);
                    assertEquals(new Shape(2, 8), vit.forward(x, true).getShape());
                    assertEquals(new Shape(2, 2, 1 + (side / 4) * ((side + 4) / 4), 1 + (side / 4) * ((side + 4) / 4)),
                            vit.lastSelfAttention(x).getShape());
                }
                assertEquals(before, owner.getManagedArrays().size(), "arrays left on the model's manager");
            }
        }
    }

    @Test
    void aTrainingPassKeepsAliveOnlyItsFeaturesAndOutputAsPyTorchWould() {
        try (NDManager owner = NDManager.newBaseManager()) {
            ParameterFactory f = new ParameterFactory(owner, DataType.FLOAT32, 3);
            MultiCropWrapper net = new MultiCropWrapper(
                    new VisionTransformer(f, 16, 4, 8, 3, 2, 2, 0.1), new DinoHead(f, 8, 32, 16, 8, 3, true, false));
            net.trainableParameters().values().forEach(p -> p.setRequiresGradient(true));
            try (NDManager step = owner.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                List<NDArray> views = List.of(
                        step.randomNormal(new Shape(2, 3, 16, 16), DataType.FLOAT32),
                        step.randomNormal(new Shape(2, 3, 16, 16), DataType.FLOAT32),
                        step.randomNormal(new Shape(2, 3, 8, 8), DataType.FLOAT32));
                MultiCropWrapper.Forward pass = net.forwardWithFeatures(views, true);
                // the views, one feature array per resolution, their concatenation and the output:
                // every block's temporaries are closed, those autograd needs live on inside libtorch
                assertEquals(views.size() + 2 + 1 + 1, step.getManagedArrays().size(), () -> "arrays alive after the pass: "
                        + step.getManagedArrays().stream().map(a -> a.getShape() + " " + a.getDataType()).toList());
                collector.backward(pass.output().sum());
            }
            for (Map.Entry<String, NDArray> p : net.trainableParameters().entrySet()) {
                float[] grad = p.getValue().getGradient().toFloatArray();
                double norm = 0;
                for (float g : grad) {
                    assertTrue(Float.isFinite(g), p.getKey());
                    norm += g * g;
                }
                assertTrue(norm > 0, "no gradient reached " + p.getKey());
            }
        }
    }

    @Test
    void theOwnGridOnASquareImageIsThePositionEmbeddingItself() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny(manager, 0, 1);
            NDArray tokens = manager.zeros(new Shape(1, 17, 8));
            assertEquals(vit.stateDict().get("pos_embed"), vit.interpolatePosEncoding(tokens, 16, 16));
            // a 16 x 12 image has 4 x 3 patches: rows resized by 4.1/4, columns by 3.1/4
            NDArray other = vit.interpolatePosEncoding(manager.zeros(new Shape(1, 13, 8)), 16, 12);
            assertEquals(new Shape(1, 13, 8), other.getShape());
        }
    }

    @Test
    void imagesSmallerThanAPatchAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterFactory f = new ParameterFactory(manager, DataType.FLOAT32, 0);
            assertThrows(IllegalArgumentException.class, () -> new VisionTransformer(f, 8, 16, 8, 1, 2, 4, 0));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ModelSpec("vit_small", 1, true, 8, 8, 8, 3, true, false, 16, 0.1, 8));
            assertTrue(e.getMessage().contains("at least 16 px"), e.getMessage());
        }
    }

    /** A 16 px ViT with patch 4, D 8, 2 heads. */
    private static VisionTransformer tiny(NDManager manager, double dropPath, int depth) {
        return new VisionTransformer(new ParameterFactory(manager, DataType.FLOAT32, 5), 16, 4, 8, depth, 2, 2, dropPath);
    }
}
