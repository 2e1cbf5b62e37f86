package io.dinostream.train;

import static io.dinostream.Oracle.FLOAT64_RTOL;
import static io.dinostream.Oracle.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.dinostream.Oracle;

import org.junit.jupiter.api.Test;

/** KoLeoLoss replays DINOv2's KoLeoLoss, summed over the global views' chunks and weighted as in its training loop. */
class KoLeoLossOracleTest {

    @Test
    void lossAndGradientAgreeWithDinov2InFloat64() {
        for (JsonElement c : Oracle.file("koleo_oracle.json").getAsJsonArray("cases")) {
            JsonObject expected = c.getAsJsonObject();
            String what = "batch " + expected.get("batch") + " dim " + expected.get("dim");
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray features = Oracle.tensor(manager, expected.get("features"), DataType.FLOAT64);
                features.setRequiresGradient(true);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = KoLeoLoss.overViews(
                            features, expected.get("views").getAsInt(), expected.get("weight").getAsDouble());
                    assertClose(what + " loss", expected.get("loss").getAsDouble(), loss.getDouble(), FLOAT64_RTOL);
                    collector.backward(loss);
                }
                assertClose(what + " grad", expected.get("grad"), features.getGradient(), FLOAT64_RTOL);
            }
        }
    }

    @Test
    void aSingleFeatureHasNoNeighbourAndIsRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray one = manager.ones(new Shape(1, 4));
            assertThrows(IllegalArgumentException.class, () -> KoLeoLoss.compute(one));
        }
    }
}
