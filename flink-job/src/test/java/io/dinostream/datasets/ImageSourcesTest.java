package io.dinostream.datasets;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageSourcesTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "mnist", "idx:", "folder:", "synthetic:x", "kafka:topic"})
    void badSpecsNameTheAcceptedForms(String spec) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ImageSources.open(spec, 0));

        assertTrue(
                e.getMessage().contains("synthetic | synthetic:CLASSES | idx:PATH | folder:PATH"),
                e.getMessage());
    }

    @Test
    void syntheticClassCountIsChecked() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> ImageSources.open("synthetic:11", 0));

        assertTrue(e.getMessage().contains("2..10"), e.getMessage());
    }
}
