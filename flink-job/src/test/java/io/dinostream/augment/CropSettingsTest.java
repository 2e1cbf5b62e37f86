package io.dinostream.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The crops.* settings: a checked policy and its parallelism. */
final class CropSettingsTest {

    @Test
    void zeroParallelismIsRefusedWhenBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CropSettings(MultiCropPolicy.smallImages(), 0));

        assertEquals("--crops.parallelism must be > 0, got 0", e.getMessage());
    }

    @Test
    void aStoredConfigGivesItsCropsAndDefaultsTheRest() {
        CropSettings crops = CropSettings.fromStored(Map.of("crops.global-size", "16", "model.width", "4"));

        assertEquals(16, crops.policy().globalSize());
        assertEquals(MultiCropPolicy.smallImages().localSize(), crops.policy().localSize());
        assertEquals(1, crops.parallelism());
    }

    @Test
    void aStoredPolicyThatBreaksTheRulesIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> CropSettings.fromStored(Map.of("crops.global-scale", "0.9,0.3")));
    }
}
