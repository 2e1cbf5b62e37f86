package io.dinostream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A step counts as stalled past max(factor × recent median, floor); the watchdog says so once. */
class StepWatchdogTest {

    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong();
    private final List<StepWatchdog.StalledStepException> stalls = new ArrayList<>();

    private StepWatchdog manual(double factor, double floorSeconds) {
        return StepWatchdog.manual(new StepWatchdog.Limits(factor, floorSeconds), stalls::add, now::get);
    }

    /** {@code count} finished steps of {@code millis} each on the manual clock. */
    private void steps(StepWatchdog w, int count, long millis) {
        for (int i = 0; i < count; i++) {
            w.begin(i);
            now.addAndGet(millis * MS);
            w.end();
        }
    }

    @Test
    void aStepFarOverTheMedianAndTheFloorIsReportedOnceWithStepDurationAndMedian() {
        StepWatchdog w = manual(20, 1);
        steps(w, 10, 100);
        assertEquals(0.1, w.medianStepSeconds(), 1e-9);
        assertEquals(2.0, w.limitSeconds(), 1e-9, "20 × 0.1 s is over the 1 s floor");
        w.begin(10);
        now.addAndGet(1_900 * MS);
        w.check();
        assertTrue(stalls.isEmpty(), "1.9 s is under 20 × the median");
        now.addAndGet(200 * MS);
        w.check();
        w.check();
        assertEquals(1, stalls.size(), "reported once per step");
        String message = stalls.get(0).getMessage();
        assertTrue(message.contains("training step 10 has run for 2.1 s"), message);
        assertTrue(message.contains("21× the median 0.100 s of the last 10 steps"), message);
        assertTrue(message.contains("--train.watchdog-floor-seconds"), message);
        assertEquals(2.1, w.currentStepSeconds(), 1e-9);
        assertEquals(1, w.stalls());
    }

    @Test
    void theFloorKeepsFastStepsFromCountingAsStalled() {
        StepWatchdog w = manual(20, 5);
        steps(w, 10, 10);
        w.begin(10);
        now.addAndGet(4_000 * MS);
        w.check();
        assertTrue(stalls.isEmpty(), "400× the median, but under the 5 s floor");
        now.addAndGet(1_001 * MS);
        w.check();
        assertEquals(1, stalls.size());
    }

    @Test
    void aSlowButSteadyMachineIsNotStalled() {
        StepWatchdog w = manual(3, 1);
        steps(w, 10, 2_000);
        w.begin(10);
        now.addAndGet(5_000 * MS);
        w.check();
        assertTrue(stalls.isEmpty(), "2.5× a 2 s median is under the factor 3");
        now.addAndGet(1_001 * MS);
        w.check();
        assertEquals(1, stalls.size());
    }

    @Test
    void beforeAnyStepHasFinishedTheFloorAloneJudges() {
        StepWatchdog w = manual(20, 3);
        w.begin(0);
        now.addAndGet(3_001 * MS);
        w.check();
        assertEquals(1, stalls.size());
        assertTrue(stalls.get(0).getMessage().contains("no step has finished yet"), stalls.get(0).getMessage());
    }

    @Test
    void betweenStepsAndWhenOffNothingIsReported() {
        StepWatchdog idle = manual(1, 0.001);
        steps(idle, 3, 1);
        now.addAndGet(60_000 * MS);
        idle.check();
        assertEquals(0, idle.currentStepSeconds());
        StepWatchdog off = manual(1, 0);
        off.begin(0);
        now.addAndGet(60_000 * MS);
        off.check();
        assertTrue(stalls.isEmpty());
        assertEquals(0, off.limitSeconds());
    }

    @Test
    void negativeLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new StepWatchdog.Limits(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> new StepWatchdog.Limits(1, Double.NaN));
    }

    /** The watchdog's own thread reports a step that blocks the stepping thread and never returns by itself. */
    @Test
    void aStepThatNeverReturnsIsReportedByTheWatchdogThread() throws Exception {
        AtomicReference<StepWatchdog.StalledStepException> reported = new AtomicReference<>();
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (StepWatchdog w = StepWatchdog.start(new StepWatchdog.Limits(20, 0.2), e -> {
            reported.set(e);
            stalled.countDown();
        })) {
            for (int i = 0; i < 5; i++) {
                int step = i;
                w.watch(step, () -> step);
            }
            Thread stepping = new Thread(() -> w.watch(5, () -> {
                try {
                    return release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }));
            stepping.start();
            assertTrue(stalled.await(30, TimeUnit.SECONDS), "the stalled step was reported");
            assertTrue(stepping.isAlive(), "reported while the step was still stuck");
            release.countDown();
            stepping.join();
        }
        assertNotNull(reported.get());
        assertTrue(reported.get().getMessage().startsWith("training step 5 has run for"), reported.get().getMessage());
        assertNull(reported.get().getCause());
    }
}
