package io.dinostream.train;

import static io.dinostream.Oracle.FLOAT64_RTOL;
import static io.dinostream.Oracle.assertClose;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.dinostream.Oracle;

import org.junit.jupiter.api.Test;

/** DinoLoss replays main_dino.DINOLoss: three scenarios of three successive calls each. */
class DinoLossOracleTest {

    private static final JsonObject SECTION = Oracle.section("dino_loss");
    private static final JsonObject CONFIG = SECTION.getAsJsonObject("config");

    @Test
    void lossCenterAndGradientAgreeWithOfficialInFloat64() {
        for (JsonElement scenario : SECTION.getAsJsonArray("scenarios")) {
            replay(scenario.getAsJsonObject(), DataType.FLOAT64);
        }
    }

    @Test
    void lossAndCenterAgreeWithOfficialFromFloat32Inputs() {
        for (JsonElement scenario : SECTION.getAsJsonArray("scenarios")) {
            replay(scenario.getAsJsonObject(), DataType.FLOAT32);
        }
    }

    @Test
    void teacherTemperatureScheduleMatchesOfficialPerEpoch() {
        TeacherTemperature temps =
                new TeacherTemperature(
                        CONFIG.get("warmup_teacher_temp").getAsDouble(),
                        CONFIG.get("teacher_temp").getAsDouble(),
                        CONFIG.get("warmup_teacher_temp_epochs").getAsInt(),
                        1);
        double[] expected = Oracle.values(SECTION.get("teacher_temp_schedule"));
        double[] actual = new double[expected.length];
        for (int e = 0; e < expected.length; e++) {
            actual[e] = temps.valueAt(e);
        }
        assertClose("teacher_temp_schedule", expected, actual, FLOAT64_RTOL);
    }

    private static void replay(JsonObject scenario, DataType type) {
        String name = scenario.get("name").getAsString() + " (" + type + ")";
        try (NDManager manager = NDManager.newBaseManager();
                DinoLoss loss =
                        new DinoLoss(
                                manager,
                                type,
                                CONFIG.get("out_dim").getAsInt(),
                                CONFIG.get("n_global_crops").getAsInt(),
                                CONFIG.get("ncrops").getAsInt(),
                                CONFIG.get("student_temp").getAsDouble(),
                                CONFIG.get("center_momentum").getAsDouble())) {
            int call = 0;
            for (JsonElement c : scenario.getAsJsonArray("calls")) {
                JsonObject expected = c.getAsJsonObject();
                String what = name + " call " + call++;
                assertClose(what + " center_before", expected.get("center_before"),
                        loss.center().squeeze(0), type == DataType.FLOAT64 ? FLOAT64_RTOL : 1e-5);
                NDArray student = Oracle.tensor(manager, expected.get("student_output"), type);
                NDArray teacher = Oracle.tensor(manager, expected.get("teacher_output"), type);
                student.setRequiresGradient(true);
                double temp = expected.get("teacher_temp").getAsDouble();
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray value = loss.compute(student, teacher, temp);
                    if (type == DataType.FLOAT64) {
                        assertClose(what + " loss", expected.get("loss").getAsDouble(),
                                value.getDouble(), FLOAT64_RTOL);
                        collector.backward(value);
                        assertClose(what + " grad_student_output",
                                expected.get("grad_student_output"), student.getGradient(), FLOAT64_RTOL);
                    } else {
                        assertClose(what + " loss", expected.get("loss_float32_inputs").getAsDouble(),
                                value.getFloat(), 1e-5);
                    }
                }
                loss.updateCenter(teacher);
                if (type == DataType.FLOAT64) {
                    assertClose(what + " center_after", expected.get("center_after"),
                            loss.center().squeeze(0), FLOAT64_RTOL);
                } else {
                    assertClose(what + " center_after", expected.get("center_after_float32"),
                            loss.center().squeeze(0), 1e-5);
                }
            }
        }
    }
}
