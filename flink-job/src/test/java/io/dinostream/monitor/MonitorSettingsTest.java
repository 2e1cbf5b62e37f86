package io.dinostream.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The monitor.* settings: where probes come from and what is held out of training. */
final class MonitorSettingsTest {

    @Test
    void onlyStreamProbesHoldImagesOutOfTraining() {
        assertEquals(2.0, new MonitorSettings("stream", 2, 1000).heldOutPercent());
        assertEquals(0.0, new MonitorSettings("idx:/data/t10k-images-idx3-ubyte.gz", 2, 1000).heldOutPercent());
        assertEquals(0.0, new MonitorSettings("off", 2, 1000).heldOutPercent());
    }

    @Test
    void offTurnsTheMonitorOff() {
        assertTrue(new MonitorSettings("stream", 2, 1000).enabled());
        assertFalse(new MonitorSettings("off", 2, 1000).enabled());
    }

    @Test
    void badValuesAreRefusedWhenBuilt() {
        assertEquals("--monitor.probe must be stream, off, idx:PATH or folder:PATH, got 'held-out'",
                assertThrows(IllegalArgumentException.class, () -> new MonitorSettings("held-out", 2, 1000))
                        .getMessage());
        assertEquals("--monitor.holdout-percent must be between 0 and 100, got 120.0",
                assertThrows(IllegalArgumentException.class, () -> new MonitorSettings("stream", 120, 1000))
                        .getMessage());
        assertEquals("--monitor.probe-size must be > 0, got 0",
                assertThrows(IllegalArgumentException.class, () -> new MonitorSettings("stream", 2, 0)).getMessage());
    }
}
