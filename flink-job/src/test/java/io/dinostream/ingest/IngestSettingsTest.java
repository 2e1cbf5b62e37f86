package io.dinostream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dinostream.config.OptionSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ingest.* settings become the decoder's and the field checks' limits. */
final class IngestSettingsTest {

    private static final OptionSet OPTIONS = OptionSet.of("", IngestSettings.OPTIONS);

    @Test
    void theDefaultsAreTheLimitsDefaults() {
        IngestSettings ingest = IngestSettings.from(OPTIONS.parse(Map.of()));

        assertEquals(IngestSettings.defaults(), ingest);
        assertEquals(DecodeLimits.defaults(), ingest.decodeLimits());
        assertEquals(FieldLimits.defaults(), ingest.fieldLimits());
        assertEquals(262_144, ingest.deadLetterMaxBytes());
    }

    @Test
    void optionsReachTheLimits() {
        IngestSettings ingest = IngestSettings.from(OPTIONS.parse(Map.of("ingest.max-side", "512",
                "ingest.min-side", "16", "ingest.max-label-bytes", "64", "ingest.dead-letter-max-bytes", "0")));

        assertEquals(new DecodeLimits(DecodeLimits.DEFAULT_MAX_BYTES, 512, 16), ingest.decodeLimits());
        assertEquals(64, ingest.fieldLimits().maxLabelBytes());
        assertEquals(0, ingest.deadLetterMaxBytes());
    }

    @Test
    void aNegativeDeadLetterSizeIsRefusedWhenBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new IngestSettings(DecodeLimits.defaults(), FieldLimits.defaults(), -1));

        assertEquals("--ingest.dead-letter-max-bytes must be >= 0, got -1", e.getMessage());
    }
}
