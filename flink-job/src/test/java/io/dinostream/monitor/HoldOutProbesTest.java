package io.dinostream.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HoldOutProbesTest {

    private static int heldOut(int n, double percent) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (HoldOutProbes.isHeldOut("train-" + i, "7", percent)) {
                count++;
            }
        }
        return count;
    }

    @Test
    void holdsOutAboutTheAskedShareOfSequentialIds() {
        // 2 % of 20,000 = 400, binomial sd ~20.
        int n = heldOut(20_000, 2);
        assertTrue(n > 340 && n < 460, "held out " + n + " of 20000 at 2 %");
        assertEquals(0, heldOut(1_000, 0));
        assertEquals(1_000, heldOut(1_000, 100));
    }

    @Test
    void theSameEventIsAlwaysHeldOutOrAlwaysTrainedOnAndUnlabelledOnesAreNeverHeldOut() {
        for (int i = 0; i < 200; i++) {
            String id = "cam-3/frame-" + i;
            assertEquals(HoldOutProbes.isHeldOut(id, "a", 30), HoldOutProbes.isHeldOut(id, "b", 30));
            assertFalse(HoldOutProbes.isHeldOut(id, "", 100));
        }
    }

    @Test
    void aPercentageOutsideZeroToHundredIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new HoldOutProbes(101));
        assertThrows(IllegalArgumentException.class, () -> new HoldOutProbes(-1));
    }
}
