package io.dinostream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.util.SeededRandom;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every array of a step has an owner that closes it: 300 steps leave the number of live DJL arrays
 * exactly where it was, and the process's resident memory without a trend. Resident memory moves
 * by tens of MiB from step to step (allocator arenas, the Java heap filling with garbage between
 * collections), so it is sampled every 10 steps right after a full GC, and the median of the first
 * 10 samples is compared with the median of the last 10: a leak of one small activation per step
 * (≥ 100 KiB) would show as ≥ 20 MiB between them.
 */
class TrainerMemoryTest {

    private static final int STEPS = 300;
    private static final int SAMPLE_EVERY = 10;
    private static final int WINDOW = 10;
    private static final long MEDIAN_GROWTH_LIMIT_KB = 16 * 1024;

    @Test
    void threeHundredStepsKeepArraysAndNativeMemoryFlat() throws IOException {
        SeededRandom data = new SeededRandom(11);
        List<CropBatch> batches = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batches.add(TrainerFixtures.noiseBatch(data, 8));
        }
        try (DinoTrainer trainer = new DinoTrainer(TrainerFixtures.tinyResNet(5))) {
            for (int i = 0; i < 30; i++) { // warm-up: allocator pools, lazily created state
                trainer.step(batches.get(i % batches.size()));
            }
            int arraysBefore = trainer.liveArrayCount();
            long[] rss = new long[STEPS / SAMPLE_EVERY];
            for (int i = 0; i < STEPS; i++) {
                trainer.step(batches.get(i % batches.size()));
                if ((i + 1) % SAMPLE_EVERY == 0) {
                    System.gc();
                    rss[i / SAMPLE_EVERY] = residentKb();
                }
            }
            assertEquals(arraysBefore, trainer.liveArrayCount(), "live NDArrays after " + STEPS + " more steps");
            long first = median(Arrays.copyOfRange(rss, 0, WINDOW));
            long last = median(Arrays.copyOfRange(rss, rss.length - WINDOW, rss.length));
            assertTrue(last - first < MEDIAN_GROWTH_LIMIT_KB,
                    "median resident memory grew from " + first + " KiB to " + last + " KiB over " + STEPS + " steps");
            assertEquals(30 + STEPS, trainer.stepCount());
        }
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long residentKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
