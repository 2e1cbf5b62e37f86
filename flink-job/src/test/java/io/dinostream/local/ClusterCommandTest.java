package io.dinostream.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.StandardOutput;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code cluster} says and refuses before it starts anything; ClusterIT and the README run it. */
class ClusterCommandTest {

    @TempDir
    Path dir;

    @Test
    void helpListsEveryOption() throws Exception {
        int[] code = new int[1];
        String help = StandardOutput.of(() -> code[0] = ClusterCommand.run(List.of("--help")));
        assertEquals(0, code[0]);
        for (String option : List.of("--workdir", "--taskmanagers", "--rest-port", "--kafka-port", "--s3-port")) {
            assertTrue(help.contains(option), option + " in\n" + help);
        }
    }

    @Test
    void anUnknownOptionIsRefusedBeforeAnythingStarts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterCommand.run(List.of("start", "--workdir", dir.toString(), "--kafka", "9092")));
        assertTrue(e.getMessage().contains("unknown option(s) [kafka]"), e.getMessage());
    }

    @Test
    void stopSaysWhenNoClusterWasStartedThere() {
        IOException e = assertThrows(IOException.class,
                () -> ClusterCommand.run(List.of("stop", "--workdir", dir.toString())));
        assertTrue(e.getMessage().contains("no cluster was started in"), e.getMessage());
    }
}
