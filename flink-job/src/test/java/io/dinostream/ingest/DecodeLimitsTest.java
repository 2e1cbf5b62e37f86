package io.dinostream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class DecodeLimitsTest {

    @Test
    void defaultsAreTwentyMebibytesAndEightToEightThousandPixels() {
        DecodeLimits limits = DecodeLimits.defaults();

        assertEquals(20 * 1024 * 1024, limits.maxBytes());
        assertEquals(8192, limits.maxSide());
        assertEquals(8, limits.minSide());
    }

    @Test
    void invalidLimitsAreRefusedNamingTheSetting() {
        IllegalArgumentException bytes =
                assertThrows(IllegalArgumentException.class, () -> new DecodeLimits(0, 8192, 8));
        assertTrue(bytes.getMessage().contains("ingest.max-bytes"), bytes.getMessage());

        IllegalArgumentException min =
                assertThrows(IllegalArgumentException.class, () -> new DecodeLimits(10, 8192, 0));
        assertTrue(min.getMessage().contains("ingest.min-side"), min.getMessage());

        IllegalArgumentException order =
                assertThrows(IllegalArgumentException.class, () -> new DecodeLimits(10, 16, 32));
        assertTrue(order.getMessage().contains("ingest.max-side (16)"), order.getMessage());

        assertThrows(IllegalArgumentException.class, () -> new DecodeLimits(10, 100_000, 8));
    }

    @Test
    void survivesJavaSerializationAsFlinkFunctionsNeed() throws Exception {
        DecodeLimits limits = new DecodeLimits(1234, 567, 9);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(limits);
        }
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(limits, in.readObject());
        }
    }
}
