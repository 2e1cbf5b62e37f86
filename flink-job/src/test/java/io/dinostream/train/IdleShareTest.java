package io.dinostream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The trainer's idle share, on a clock the test sets. */
class IdleShareTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void unknownUntilTheFirstWindowCloses() {
        IdleShare idle = new IdleShare(5);
        idle.stepEnded(100 * SECOND, 1.0);
        idle.stepEnded(103 * SECOND, 1.0);
        assertTrue(Double.isNaN(idle.value()));
    }

    @Test
    void aTrainerThatStepsBackToBackIsNeverIdle() {
        IdleShare idle = new IdleShare(5);
        for (int i = 1; i <= 10; i++) {
            idle.stepEnded(i * SECOND, 1.0); // the first step started at 0
        }
        assertEquals(0.0, idle.value(), 1e-12);
    }

    @Test
    void aTrainerWaitingThreeSecondsForEachOneSecondStepIsIdleThreeQuarters() {
        IdleShare idle = new IdleShare(5);
        for (int i = 1; i <= 6; i++) {
            idle.stepEnded(4 * i * SECOND, 1.0); // waits 3 s, steps 1 s
        }
        assertEquals(0.75, idle.value(), 1e-12);
    }

    @Test
    void startUpBeforeTheFirstStepIsNotIdleTime() {
        IdleShare idle = new IdleShare(5);
        // the first step ends 60 s after the process started and took 2 s; then steps run back to back
        idle.stepEnded(60 * SECOND, 2.0);
        idle.stepEnded(62 * SECOND, 2.0);
        idle.stepEnded(64 * SECOND, 2.0);
        assertEquals(0.0, idle.value(), 1e-12);
    }

    @Test
    void eachWindowStandsAlone() {
        IdleShare idle = new IdleShare(5);
        idle.stepEnded(1 * SECOND, 1.0);
        idle.stepEnded(10 * SECOND, 1.0); // 10 s window, 2 s busy
        assertEquals(0.8, idle.value(), 1e-12);
        for (int i = 11; i <= 16; i++) {
            idle.stepEnded(i * SECOND, 1.0); // then back to back
        }
        assertEquals(0.0, idle.value(), 1e-12);
    }
}
