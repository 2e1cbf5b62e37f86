package io.dinostream.eval;

import io.dinostream.StandardOutput;
import io.dinostream.features.Features;
import io.dinostream.features.KnnResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnnCommandTest {

    @TempDir Path dir;

    @Test
    void evaluatesTwoFeatureFiles() {
        Path bank = dir.resolve("bank.npz");
        Path queries = dir.resolve("queries.npz");
        new Features(new float[][] {{1f, 0f}, {0.9f, 0.1f}, {0f, 1f}}, new String[] {"a", "a", "b"}).write(bank);
        new Features(new float[][] {{1f, 0.05f}, {0.1f, 1f}}, new String[] {"a", "b"}).write(queries);

        KnnResult result = KnnCommand.run(List.of("--bank", bank.toString(), "--queries=" + queries, "--k", "1",
                "--temperature", "0.1"));

        assertEquals(new KnnResult(100.0, 100.0, 2, 1, 0.1), result);
    }

    @Test
    void helpListsEveryOptionWithItsDefaultAndEvaluatesNothing() throws Exception {
        AtomicReference<KnnResult> result = new AtomicReference<>(new KnnResult(0, 0, 0, 0, 0));

        String printed = StandardOutput.of(() -> result.set(KnnCommand.run(List.of("--help"))));

        List<String> lines = printed.lines().toList();
        assertTrue(lines.get(0).startsWith("knn: weighted k-NN accuracy"), printed);
        assertEquals(List.of("--bank", "--queries", "--k", "--temperature"), options(lines));
        assertEquals("default: 20", lineAfter(lines, "  --k           neighbours per query"), printed);
        assertEquals("default: 0.07", lineAfter(lines, "  --temperature T in the neighbour weight exp(similarity / T)"),
                printed);
        assertNull(result.get());
    }

    /** The line after the one given, trimmed: where a help text puts the option's default. */
    private static String lineAfter(List<String> lines, String line) {
        int at = lines.indexOf(line);
        assertTrue(at >= 0, "no line '" + line + "'");
        return lines.get(at + 1).trim();
    }

    /** The option names a help text lists, in order. */
    static List<String> options(List<String> helpLines) {
        return helpLines.stream().filter(l -> l.startsWith("  --")).map(l -> l.trim().split("\\s+")[0]).toList();
    }

    @Test
    void bankAndQueriesAreRequired() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KnnCommand.run(List.of("--queries", "q.npz")));
        assertTrue(e.getMessage().startsWith("--bank FILE is required"), e.getMessage());
    }

    @Test
    void aMisspeltOptionIsRefusedWithTheNearestOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KnnCommand.run(List.of("--bnak", "b.feat", "--queries", "q.feat")));
        assertTrue(e.getMessage().startsWith("unknown option --bnak; did you mean --bank?"), e.getMessage());
    }

    @Test
    void aBadValueIsRefusedBeforeAnyFileIsRead() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KnnCommand.run(List.of("--bank", "missing.feat", "--queries", "missing.feat", "--k", "many")));
        assertEquals("--k must be a whole number, got 'many'", e.getMessage());
    }
}
