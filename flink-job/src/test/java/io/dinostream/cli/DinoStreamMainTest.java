package io.dinostream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.StandardOutput;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The usage text of the one entry point against the commands its switch runs. */
class DinoStreamMainTest {

    /** A command's line in the usage: two spaces, the name, two or more spaces, what it does. */
    private static final Pattern LISTED = Pattern.compile("^  ([a-z][a-z0-9-]*) {2,}\\S.*$");
    private static final Pattern CASE = Pattern.compile("case \"([^\"]+)\"\\s*->");

    /** The commands main's switch runs, read from its source: a command it runs must be listed. */
    private static TreeSet<String> handled() throws Exception {
        Path source = Path.of("src/main/java/io/dinostream/cli/DinoStreamMain.java");
        if (!Files.exists(source)) {
            source = Path.of("flink-job").resolve(source); // run from the repository root
        }
        Matcher cases = CASE.matcher(Files.readString(source));
        TreeSet<String> out = new TreeSet<>();
        while (cases.find()) {
            out.add(cases.group(1));
        }
        return out;
    }

    @Test
    void theUsageListsEveryCommandTheSwitchRunsAndHelpAndNoOther() throws Exception {
        String usage = StandardOutput.of(() -> DinoStreamMain.main(new String[] {"help"}));

        TreeSet<String> listed = new TreeSet<>();
        for (String line : usage.lines().toList()) {
            Matcher m = LISTED.matcher(line);
            if (m.matches()) {
                listed.add(m.group(1));
            }
        }
        TreeSet<String> expected = handled();
        assertTrue(expected.size() >= 8, "the switch was read: " + expected);
        expected.add("help");
        assertEquals(expected, listed, usage);
    }
}
