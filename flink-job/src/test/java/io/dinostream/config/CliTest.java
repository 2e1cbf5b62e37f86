package io.dinostream.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Commands' own options, and flags they pass on to another parser. */
final class CliTest {

    private static Cli cli() {
        return new Cli("test").option("topic", "images", "topic").option("limit", "0", "limit");
    }

    @Test
    void passThroughFlagsAreReturnedInOrderAndTheRestAreOptions() {
        Cli cli = cli();

        Map<String, String> passed = cli.parseWithPassThrough(
                List.of("--kafka.acks", "all", "--limit", "5", "--kafka.linger.ms=20"), name -> name.startsWith("kafka."));

        assertEquals(List.of("kafka.acks", "kafka.linger.ms"), List.copyOf(passed.keySet()));
        assertEquals("all", passed.get("kafka.acks"));
        assertEquals(5, cli.getInt("limit"));
        assertEquals("images", cli.get("topic"));
    }

    @Test
    void anUndeclaredFlagThatIsNotPassedThroughFails() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cli().parseWithPassThrough(List.of("--topics", "x"), name -> name.startsWith("kafka.")));

        assertTrue(e.getMessage().startsWith("unknown option --topics"), e.getMessage());
    }

    @Test
    void helpIsPrintedAndNothingParsed() {
        assertNull(cli().parseWithPassThrough(List.of("--help"), name -> true));
    }
}
