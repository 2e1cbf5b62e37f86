package io.dinostream.bench;

import io.dinostream.features.Features;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QualityBenchmarkTest {

    @Test
    void theFirstClassesAreTheFirstTwoInLabelOrder() {
        assertEquals(List.of("2", "10"), QualityBenchmark.firstClasses(List.of("10", "11", "2", "10", "2")));
    }

    @Test
    void firstClassTopOneCountsOnlyThoseQueriesWithTheWholeBankVoting() {
        // bank: class a near (1,0), class b near (0,1), class c near (-1,0)
        Features bank = new Features(new float[][] {{1, 0.1f}, {1, -0.1f}, {0.1f, 1}, {-0.1f, 1}, {-1, 0.1f}, {-1, -0.1f}},
                new String[] {"a", "a", "b", "b", "c", "c"});
        // queries: an "a" that looks like c (wrong), an "a" right, a "b" right, a "c" wrong (looks like b)
        Features queries = new Features(new float[][] {{-1, 0}, {1, 0}, {0, 1}, {0, 1}},
                new String[] {"a", "a", "b", "c"});
        assertEquals(50.0, QualityBenchmark.top1On(bank, queries, List.of("a")), 1e-9);
        assertEquals(100.0 * 2 / 3, QualityBenchmark.top1On(bank, queries, List.of("a", "b")), 1e-9);
        assertTrue(Double.isNaN(QualityBenchmark.top1On(bank, queries, List.of("z"))));
    }

    @Test
    void combineDrawsRunsOldAndNewIntoOneFigureSet(@TempDir Path dir) throws Exception {
        Path older = dir.resolve("older/quality");
        Path newer = dir.resolve("newer/quality");
        Files.createDirectories(older);
        Files.createDirectories(newer);
        Files.writeString(older.resolve("quality.csv"), "run,step,minutes,images_seen,top1,top5,online_probe_top1\n"
                + "old,100,1.00,3200,70.00,97.00,\nold,200,2.00,6400,75.00,98.00,60.00\n");
        Files.writeString(newer.resolve("quality.csv"),
                "run,step,minutes,images_seen,new_images,top1,top5,first_classes_top1,online_probe_top1\n"
                        + "new,100,1.00,3200,1600,72.00,97.00,80.00,\nnew,200,2.00,6400,3200,78.00,98.00,70.00,\n");
        Files.writeString(newer.resolve("baselines.csv"), "baseline,top1\nraw 32x32 pixels,80.52\nrandom-init backbone,75.60\n");
        Path out = dir.resolve("all");
        assertEquals(0, QualityBenchmark.combine(out, List.of(dir.resolve("older"), dir.resolve("newer")), "test"));
        for (String png : List.of("orders-top1-vs-images.png", "orders-top1-vs-new-images.png",
                "orders-first-classes-top1.png")) {
            assertTrue(Files.size(out.resolve(png)) > 1000, png);
        }
    }
}
