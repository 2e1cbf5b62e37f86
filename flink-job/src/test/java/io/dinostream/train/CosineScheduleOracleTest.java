package io.dinostream.train;

import static io.dinostream.Oracle.FLOAT64_RTOL;
import static io.dinostream.Oracle.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.dinostream.Oracle;

import org.junit.jupiter.api.Test;

/** CosineSchedule replays utils.cosine_scheduler and defines what happens past its horizon. */
class CosineScheduleOracleTest {

    @Test
    void allFourOfficialCasesAgree() {
        int cases = 0;
        for (JsonElement c : Oracle.section("cosine_scheduler").getAsJsonArray("cases")) {
            JsonObject args = c.getAsJsonObject().getAsJsonObject("args");
            int niter = args.get("niter_per_ep").getAsInt();
            CosineSchedule schedule =
                    new CosineSchedule(
                            args.get("base_value").getAsDouble(),
                            args.get("final_value").getAsDouble(),
                            (long) args.get("epochs").getAsInt() * niter,
                            (long) args.get("warmup_epochs").getAsInt() * niter,
                            args.has("start_warmup_value") ? args.get("start_warmup_value").getAsDouble() : 0,
                            false);
            double[] expected = Oracle.values(c.getAsJsonObject().get("values"));
            double[] actual = new double[expected.length];
            for (int i = 0; i < actual.length; i++) {
                actual[i] = schedule.valueAt(i);
            }
            assertClose(c.getAsJsonObject().get("name").getAsString(), expected, actual, FLOAT64_RTOL);
            cases++;
        }
        assertEquals(4, cases);
    }

    @Test
    void holdsTheFinalValuePastTheHorizon() {
        CosineSchedule s = CosineSchedule.of(0.996, 1.0, 100);
        assertEquals(1.0, s.valueAt(100));
        assertEquals(1.0, s.valueAt(1_000_000));
    }

    @Test
    void restartsFromTheStartWhenConfigured() {
        CosineSchedule s = new CosineSchedule(1e-3, 1e-6, 100, 10, 0, true);
        assertEquals(s.valueAt(5), s.valueAt(105));
        assertEquals(s.valueAt(57), s.valueAt(257));
    }

    @Test
    void rejectsAWarmupLongerThanTheHorizon() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new CosineSchedule(1, 0, 10, 11, 0, false));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("warm-up"));
    }
}
