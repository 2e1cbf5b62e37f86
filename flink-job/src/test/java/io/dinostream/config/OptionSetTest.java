package io.dinostream.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One option system for the job and the commands: parsing, pass-through, help, suggestions, secrets. */
final class OptionSetTest {

    private static final Option<String> TOPIC = Option.text("topic", "images", "topic to write");
    private static final Option<Long> LIMIT = Option.wholeNumber("limit", "0", "stop after N images").nonNegative();
    private static final Option<String> PASSWORD = Option.text("password", "", "the password").secret();

    /** A command's options: its own, and Kafka producer properties passed through. */
    private static OptionSet command() {
        return OptionSet.of("test: a command", TOPIC, LIMIT)
                .passing(PassThrough.prefixed("kafka.", List.of("acks", "linger.ms"),
                        name -> "--" + name + " is not a Kafka producer property")
                        .help("kafka.<property>", "any Kafka producer property"));
    }

    private static IllegalArgumentException fails(OptionSet set, String... args) {
        return assertThrows(IllegalArgumentException.class, () -> set.parseArgs(List.of(args)));
    }

    @Test
    void optionsNotGivenTakeTheirDefaults() {
        OptionValues given = command().parseArgs(List.of("--limit", "5"));

        assertEquals(5L, given.get(LIMIT));
        assertEquals("images", given.get(TOPIC));
    }

    @Test
    void passThroughFlagsAreKeptInOrderWithTheirNamesAndTheRestAreOptions() {
        OptionValues given = command().parseArgs(List.of("--kafka.acks", "all", "--limit", "5", "--kafka.linger.ms=20"));

        assertEquals(List.of("kafka.acks", "kafka.linger.ms"), List.copyOf(given.passedThrough().keySet()));
        assertEquals("all", given.passedThrough().get("kafka.acks"));
        assertEquals(5L, given.get(LIMIT));
    }

    @Test
    void aClaimedNameOutsideTheAllowedOnesIsRefusedWithTheRulesMessageAndTheNearestName() {
        IllegalArgumentException e = fails(command(), "--kafka.ack", "all");

        assertEquals("--kafka.ack is not a Kafka producer property; did you mean --kafka.acks?"
                + " (run with --help for the list)", e.getMessage());
    }

    @Test
    void anUndeclaredFlagThatIsNotPassedThroughFailsSuggestingTheNearestOption() {
        IllegalArgumentException e = fails(command(), "--topics", "x");

        assertTrue(e.getMessage().startsWith("unknown option --topics"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean --topic?"), e.getMessage());
    }

    @Test
    void anUndeclaredFlagFarFromEveryNameSuggestsNothing() {
        IllegalArgumentException e = fails(command(), "--colour-scheme", "dark");

        assertEquals("unknown option --colour-scheme (run with --help for the list)", e.getMessage());
    }

    @Test
    void helpIsAskedForAndNothingParsed() {
        assertNull(command().parseArgs(List.of("--help")));
        assertNull(command().parseArgs(List.of("--limit", "-1", "-h")));
    }

    @Test
    void aBadValueFailsNamingTheOption() {
        assertEquals("--limit must be >= 0, got -1", fails(command(), "--limit", "-1").getMessage());
        assertEquals("--limit must be a whole number, got 'many'", fails(command(), "--limit", "many").getMessage());
    }

    @Test
    void helpListsEveryOptionWithItsDefaultAndThePassThrough() {
        String help = command().help();

        assertTrue(help.startsWith("test: a command\n\nOptions:\n"), help);
        assertTrue(help.contains("  --topic            topic to write"), help);
        assertTrue(help.contains("default: images"), help);
        assertTrue(help.contains("  --kafka.<property> any Kafka producer property"), help);
    }

    @Test
    void helpShowsAnEmptyDefaultAsNone() {
        String help = OptionSet.of("", PASSWORD).help();

        assertTrue(help.contains("default: (none)"), help);
    }

    @Test
    void otherDefaultsApplyToOptionsNotGivenButHelpShowsTheDeclaredOnes() {
        OptionSet set = command().withDefaults(Map.of("topic", "frames"));

        assertEquals("frames", set.parse(Map.of()).get(TOPIC));
        assertEquals("given", set.parse(Map.of("topic", "given")).get(TOPIC));
        assertTrue(set.help().contains("default: images"), set.help());
    }

    @Test
    void parseKnownIgnoresOtherNamesAndDefaultsMissingOnes() {
        OptionValues given = OptionSet.of("", TOPIC, LIMIT).parseKnown(Map.of("limit", "3", "model.width", "8"));

        assertEquals(3L, given.get(LIMIT));
        assertEquals("images", given.get(TOPIC));
        assertEquals(Map.of(), given.passedThrough());
    }

    @Test
    void describeMasksSetSecretsAndSecretPassThroughs() {
        OptionSet set = OptionSet.of("", TOPIC, PASSWORD)
                .passing(PassThrough.prefixed("kafka.", List.of("acks", "sasl.jaas.config"), name -> name)
                        .secretWhen(name -> name.contains("jaas")));

        Map<String, String> shown = set.parse(Map.of("password", "hunter2", "kafka.sasl.jaas.config", "pw",
                "kafka.acks", "all")).describe();

        assertEquals("***", shown.get("password"));
        assertEquals("***", shown.get("kafka.sasl.jaas.config"));
        assertEquals("all", shown.get("kafka.acks"));
        assertEquals("", set.parse(Map.of()).describe().get("password"), "an unset secret stays empty");
    }

    @Test
    void textsParseBackToTheSameValues() {
        OptionSet set = command();
        OptionValues given = set.parseArgs(List.of("--limit", " 7 ", "--kafka.acks", "all"));

        OptionValues again = set.parse(given.texts());

        assertEquals(given.describe(), again.describe());
        assertEquals("7", again.text(LIMIT), "texts are trimmed");
    }

    @Test
    void anOptionOutsideTheSetCannotBeRead() {
        OptionValues given = OptionSet.of("", TOPIC).parse(Map.of());

        assertThrows(IllegalStateException.class, () -> given.get(LIMIT));
    }

    @Test
    void anOptionDeclaredTwiceIsAProgrammingError() {
        assertThrows(IllegalStateException.class, () -> OptionSet.of("", TOPIC, TOPIC));
    }

    @Test
    void theConfigFileSetsOptionsAndFlagsWin(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("command.properties");
        Files.writeString(file, "topic=from-file\nlimit=9\n");
        OptionSet set = OptionSet.of("", OptionSet.CONFIG, TOPIC, LIMIT);

        OptionValues given = set.parseArgs(List.of("--config", file.toString(), "--limit", "2"));

        assertEquals("from-file", given.get(TOPIC));
        assertEquals(2L, given.get(LIMIT));
    }

    @Test
    void aSetWithoutTheConfigOptionRefusesIt(@TempDir Path dir) {
        assertTrue(fails(command(), "--config", dir.toString()).getMessage().startsWith("unknown option --config"));
    }
}
