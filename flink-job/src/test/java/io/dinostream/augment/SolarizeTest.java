package io.dinostream.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;
import org.junit.jupiter.api.Test;

class SolarizeTest {

    /** Every channel value 0..255 once per channel. */
    private static final RgbImage ALL_VALUES = TestImages.of(256, 1, (x, y, c) -> x);

    @Test
    void valuesFrom128UpAreInvertedAndBelowUntouched() {
        RgbImage out = Solarize.solarize(ALL_VALUES, 128);
        for (int v = 0; v < 256; v++) {
            int expected = v >= 128 ? 255 - v : v;
            for (int c = 0; c < 3; c++) {
                assertEquals(expected, out.get(v, 0, c), "value " + v);
            }
        }
    }

    @Test
    void probabilityOneAlwaysSolarizesWithDefaultThreshold() {
        assertEquals(
                Solarize.solarize(ALL_VALUES, 128),
                new Solarize(1).apply(ALL_VALUES, new SeededRandom(1)));
    }

    @Test
    void probabilityZeroNeverSolarizes() {
        for (long seed = 0; seed < 50; seed++) {
            assertSame(ALL_VALUES, new Solarize(0).apply(ALL_VALUES, new SeededRandom(seed)));
        }
    }

    @Test
    void rejectsProbabilityOutsideUnitInterval() {
        assertThrows(IllegalArgumentException.class, () -> new Solarize(1.2));
    }
}
