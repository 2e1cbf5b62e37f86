package io.dinostream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The model.* settings, also as a checkpoint manifest stores them. */
final class ModelSettingsTest {

    @Test
    void aStoredConfigRebuildsItsModel() {
        ModelSettings model = ModelSettings.fromStored(Map.of("model.backbone", "resnet18", "model.width", "4",
                "model.small-stem", "true", "model.out-dim", "32", "model.hidden-dim", "32", "model.bottleneck-dim",
                "16", "model.head-bn", "false", "model.norm-last-layer", "false", "kafka.topics", "images"));

        assertEquals(new ModelSpec("resnet18", 4, true, 32, 32, 16, 3, false, false), model.spec());
    }

    @Test
    void anOlderManifestWithoutANewerOptionTakesItsDefault() {
        ModelSettings model = ModelSettings.fromStored(Map.of("model.backbone", "resnet18", "model.width", "4"));

        assertTrue(model.spec().headBatchNorm(), "model.head-bn defaults to true");
        assertTrue(model.spec().normLastLayer());
        assertEquals(4096, model.spec().outDim());
    }

    @Test
    void aStoredValueThatIsNoModelIsRefusedNamingTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelSettings.fromStored(Map.of("model.width", "wide")));

        assertEquals("--model.width must be a whole number, got 'wide'", e.getMessage());
    }
}
