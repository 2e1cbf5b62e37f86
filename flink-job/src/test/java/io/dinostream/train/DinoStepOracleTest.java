package io.dinostream.train;

import static io.dinostream.Oracle.FLOAT64_RTOL;
import static io.dinostream.Oracle.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.dinostream.Oracle;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.MultiCropWrapper;
import io.dinostream.model.Tensors;
import io.dinostream.types.TrainingReport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Eight complete official training steps (main_dino.train_one_epoch, 4 epochs × 2 iterations) of
 * an identity backbone + DINO head: warm-up from lr 0, the frozen last layer in epoch 0, per-tensor
 * clipping, weight decay on group 0 only, the EMA teacher and the center, replayed by DinoTrainer.
 */
class DinoStepOracleTest {

    private static final JsonObject SECTION = Oracle.section("dino_step");
    private static final JsonObject HYPER = SECTION.getAsJsonObject("hyper");
    private static final JsonArray STEPS = SECTION.getAsJsonArray("steps");

    @Test
    void eightOfficialStepsAgreeInFloat64() {
        replay(DataType.FLOAT64, FLOAT64_RTOL);
    }

    @Test
    void eightOfficialStepsAgreeInFloat32() {
        replay(DataType.FLOAT32, 1e-4);
    }

    @Test
    void officialSchedulesForTheStepsAgree() {
        DinoSchedules schedules = officialSchedules();
        JsonObject expected = SECTION.getAsJsonObject("schedules");
        for (int it = 0; it < STEPS.size(); it++) {
            assertClose("lr " + it, expected.getAsJsonArray("lr").get(it).getAsDouble(),
                    schedules.lr().valueAt(it), FLOAT64_RTOL);
            assertClose("wd " + it, expected.getAsJsonArray("weight_decay").get(it).getAsDouble(),
                    schedules.weightDecay().valueAt(it), FLOAT64_RTOL);
            assertClose("momentum " + it, expected.getAsJsonArray("momentum").get(it).getAsDouble(),
                    schedules.teacherMomentum().valueAt(it), FLOAT64_RTOL);
            assertClose("teacher temp " + it, step(it).get("teacher_temp").getAsDouble(),
                    schedules.teacherTemp().valueAt(it), FLOAT64_RTOL);
        }
    }

    @Test
    void parameterGroupsAreTheOfficialOnes() {
        try (DinoTrainer trainer = new DinoTrainer(config(DataType.FLOAT64))) {
            JsonObject groups = SECTION.getAsJsonObject("param_groups");
            List<String> regularized = new ArrayList<>();
            List<String> notRegularized = new ArrayList<>();
            trainer.student().trainableParameters().forEach(
                    (name, p) -> (Optimizer.isRegularized(name, p) ? regularized : notRegularized).add(name));
            assertEquals(names(groups.getAsJsonArray("regularized(group0, wd from schedule)")), regularized);
            assertEquals(names(groups.getAsJsonArray("not_regularized(group1, wd=0)")), notRegularized);
        }
    }

    @Test
    void gradientsBeforeAndAfterPerTensorClippingAgree() {
        try (DinoTrainer trainer = new DinoTrainer(config(DataType.FLOAT64));
                NDManager manager = NDManager.newBaseManager()) {
            MultiCropWrapper student = trainer.student();
            for (int it = 0; it < STEPS.size(); it++) {
                JsonObject s = step(it);
                JsonObject before = it == 0
                        ? SECTION.getAsJsonObject("initial").getAsJsonObject("student")
                        : step(it - 1).getAsJsonObject("student_after");
                load(student.stateDict(), before, manager);
                Tensors.assign(trainer.loss().center(),
                        Oracle.tensor(manager, s.get("center_before"), DataType.FLOAT64).reshape(1, -1));
                NDArray teacherOutput = Oracle.tensor(manager, s.get("teacher_output"), DataType.FLOAT64);
                Map<String, NDArray> grads = new LinkedHashMap<>();
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray out = student.forward(views(s, manager, DataType.FLOAT64), true);
                    assertClose("student_output " + it, s.get("student_output"), out, FLOAT64_RTOL);
                    NDArray loss = trainer.loss().compute(out, teacherOutput, s.get("teacher_temp").getAsDouble());
                    collector.backward(loss);
                }
                student.trainableParameters().forEach((n, p) -> grads.put(n, p.getGradient().duplicate()));
                student.trainableParameters().values().forEach(p -> p.getGradient().subi(p.getGradient()));
                JsonObject expectedBefore = s.getAsJsonObject("grads_before_clip");
                for (Map.Entry<String, NDArray> g : grads.entrySet()) {
                    assertClose("grad " + g.getKey() + " step " + it, expectedBefore.get(g.getKey()), g.getValue(),
                            FLOAT64_RTOL);
                }

                double[] norms = GradientClipping.clipPerTensor(grads, HYPER.get("clip_grad").getAsDouble());
                assertEquals(names(s.getAsJsonArray("clip_param_norms_names")), List.copyOf(grads.keySet()));
                assertClose("clip norms " + it, Oracle.values(s.get("clip_param_norms")), norms, FLOAT64_RTOL);
                JsonObject expectedAfter = s.getAsJsonObject("grads_after_clip_and_cancel");
                for (String n : expectedAfter.keySet()) {
                    assertClose("clipped grad " + n + " step " + it, expectedAfter.get(n), grads.get(n), FLOAT64_RTOL);
                }
            }
        }
    }

    private static void replay(DataType type, double rtol) {
        try (DinoTrainer trainer = new DinoTrainer(config(type));
                NDManager manager = NDManager.newBaseManager()) {
            JsonObject initial = SECTION.getAsJsonObject("initial");
            load(trainer.student().stateDict(), initial.getAsJsonObject("student"), manager);
            load(trainer.teacher().stateDict(), initial.getAsJsonObject("teacher"), manager);
            for (int it = 0; it < STEPS.size(); it++) {
                JsonObject s = step(it);
                TrainingReport report = trainer.step(batch(s));
                String at = " after step " + it + " (" + type + ")";
                assertTrue(report.applied());
                assertEquals(it, report.step());
                assertClose("lr" + at, s.get("lr").getAsDouble(), report.lr(), FLOAT64_RTOL);
                assertClose("loss" + at, s.get("loss").getAsDouble(), report.loss(), rtol);
                assertClose("center" + at, s.get("center_after"), trainer.loss().center().squeeze(0), rtol);
                JsonObject studentAfter = s.getAsJsonObject("student_after");
                JsonObject teacherAfter = s.getAsJsonObject("teacher_after");
                trainer.student().stateDict().forEach(
                        (n, p) -> assertClose("student " + n + at, studentAfter.get(n), p, rtol));
                trainer.teacher().stateDict().forEach(
                        (n, p) -> assertClose("teacher " + n + at, teacherAfter.get(n), p, rtol));
            }
            assertEquals(STEPS.size(), trainer.stepCount());
            assertEquals(0, trainer.nonFiniteSteps());
        }
    }

    private static TensorBatch batch(JsonObject step) {
        JsonArray crops = step.getAsJsonArray("crops");
        List<double[]> views = new ArrayList<>();
        for (JsonElement crop : crops) {
            views.add(Oracle.values(crop));
        }
        return new TensorBatch(views, Oracle.shape(crops.get(0)));
    }

    private static List<NDArray> views(JsonObject step, NDManager manager, DataType type) {
        TensorBatch batch = batch(step);
        List<NDArray> views = new ArrayList<>();
        for (int v = 0; v < batch.viewCount(); v++) {
            views.add(batch.view(v, manager, type));
        }
        return views;
    }

    private static void load(Map<String, NDArray> target, JsonObject values, NDManager manager) {
        assertEquals(values.keySet(), target.keySet(), "official tensor names");
        target.forEach((n, p) -> Tensors.assign(p, Oracle.tensor(manager, values.get(n), p.getDataType())));
    }

    private static JsonObject step(int it) {
        return STEPS.get(it).getAsJsonObject();
    }

    private static List<String> names(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    private static DinoSchedules officialSchedules() {
        double lr = HYPER.get("lr").getAsDouble() * HYPER.get("batch").getAsInt() / 256.0;
        return DinoSchedules.official(
                HYPER.get("epochs").getAsInt(),
                HYPER.get("niter_per_ep").getAsInt(),
                lr,
                HYPER.get("min_lr").getAsDouble(),
                HYPER.get("warmup_epochs").getAsInt(),
                HYPER.get("weight_decay").getAsDouble(),
                HYPER.get("weight_decay_end").getAsDouble(),
                HYPER.get("momentum_teacher").getAsDouble(),
                HYPER.get("warmup_teacher_temp").getAsDouble(),
                HYPER.get("teacher_temp").getAsDouble(),
                HYPER.get("warmup_teacher_temp_epochs").getAsInt(),
                HYPER.get("freeze_last_layer").getAsInt());
    }

    private static TrainerConfig config(DataType type) {
        ModelSpec model = new ModelSpec(
                "identity:" + HYPER.get("in_dim").getAsInt(), 1, false,
                HYPER.get("out_dim").getAsInt(),
                HYPER.get("hidden_dim").getAsInt(),
                HYPER.get("bottleneck_dim").getAsInt(),
                HYPER.get("nlayers").getAsInt(),
                true,
                false);
        return TrainerConfig.builder()
                .model(model)
                .schedules(officialSchedules())
                .views(2, HYPER.get("n_local_crops").getAsInt())
                .clipGrad(HYPER.get("clip_grad").getAsDouble())
                .dataType(type)
                .build();
    }
}
