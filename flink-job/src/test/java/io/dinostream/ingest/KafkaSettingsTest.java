package io.dinostream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.config.OptionSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The kafka.* settings: checked when built, client properties passed through, secrets never shown. */
final class KafkaSettingsTest {

    private static final OptionSet OPTIONS =
            OptionSet.of("", KafkaSettings.OPTIONS).passing(KafkaSettings.CLIENT_PROPERTIES);

    private static KafkaSettings built(Map<String, String> clientProperties) {
        return new KafkaSettings("broker:9092", List.of("images"), "group", KafkaSettings.StartingOffsets.EARLIEST,
                false, "dead", clientProperties);
    }

    @Test
    void clientPropertiesArePassedThroughWithoutThePrefix() {
        KafkaSettings kafka = KafkaSettings.from(OPTIONS.parse(Map.of("kafka.topics", "a,b",
                "kafka.security.protocol", "SASL_SSL")));

        assertEquals(List.of("a", "b"), kafka.topics());
        assertEquals(Map.of("security.protocol", "SASL_SSL"), kafka.clientProperties());
        assertEquals("SASL_SSL", kafka.producerProperties().getProperty("security.protocol"));
    }

    @Test
    void aPropertyNoKafkaClientHasIsRefusedWhenBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> built(Map.of("security.protocl", "SSL")));

        assertTrue(e.getMessage().contains("'security.protocl' is not a Kafka consumer or producer property"),
                e.getMessage());
    }

    @Test
    void noTopicIsRefusedWhenBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KafkaSettings("",
                List.of(), "group", KafkaSettings.StartingOffsets.EARLIEST, false, "dead", Map.of()));

        assertEquals("--kafka.topics needs at least one topic", e.getMessage());
    }

    @Test
    void bootstrapServersAreRequiredOnlyWhenAsked() {
        KafkaSettings kafka = KafkaSettings.from(OPTIONS.parse(Map.of()));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, kafka::requireBootstrapServers);
        assertTrue(e.getMessage().startsWith("--kafka.bootstrap-servers is required, e.g."), e.getMessage());
        assertEquals("broker:9092", built(Map.of()).requireBootstrapServers());
    }

    @Test
    void toStringMasksSecretClientProperties() {
        String text = built(Map.of("sasl.jaas.config", "PlainLoginModule required password=\"hunter2\";",
                "ssl.truststore.location", "/keys/t.jks")).toString();

        assertFalse(text.contains("hunter2"), text);
        assertTrue(text.contains("/keys/t.jks"), text);
    }
}
