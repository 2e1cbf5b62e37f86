package io.dinostream.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.Tensors;
import io.dinostream.model.VisionTransformer;
import io.dinostream.types.TrainingReport;
import io.dinostream.util.SeededRandom;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DinoTrainerTest {

    @ParameterizedTest
    @EnumSource(Optimizer.Kind.class)
    void savedStateRestoresBitForBitAndTrainingContinuesIdentically(Optimizer.Kind optimizer) {
        SeededRandom data = new SeededRandom(7);
        List<CropBatch> batches = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            batches.add(TrainerFixtures.noiseBatch(data, 4));
        }
        try (DinoTrainer original = new DinoTrainer(TrainerFixtures.tinyResNet(1, optimizer));
                DinoTrainer restored = new DinoTrainer(TrainerFixtures.tinyResNet(99, optimizer))) {
            for (int i = 0; i < 3; i++) {
                original.step(batches.get(i));
            }
            restored.loadState(original.saveState());
            assertEquals(3, restored.stepCount());
            assertEquals(12, restored.imagesSeen());
            assertSameState(original, restored);
            assertEquals(Map.copyOf(original.optimizer().updateCounts()), Map.copyOf(restored.optimizer().updateCounts()));
            for (int i = 3; i < 6; i++) {
                TrainingReport a = original.step(batches.get(i));
                TrainingReport b = restored.step(batches.get(i));
                assertEquals(a.loss(), b.loss(), "loss of step " + i + " after restore");
            }
            assertSameState(original, restored);
            assertArrayEquals(original.saveState(), restored.saveState());
        }
    }

    @Test
    void aVitStudentDropsPathsTheTeacherDoesNotAndARestoreRepeatsTheDraws() {
        SeededRandom data = new SeededRandom(3);
        List<CropBatch> batches = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batches.add(TrainerFixtures.noiseBatch(data, 4));
        }
        try (DinoTrainer original = new DinoTrainer(TrainerFixtures.tinyVit(1));
                DinoTrainer restored = new DinoTrainer(TrainerFixtures.tinyVit(1))) {
            VisionTransformer student = (VisionTransformer) original.student().backbone();
            VisionTransformer teacher = (VisionTransformer) original.teacher().backbone();
            assertEquals(0.1, student.dropPathRates()[3], 1e-7);
            assertEquals(0.0, Arrays.stream(teacher.dropPathRates()).max().orElseThrow());
            assertEquals(original.student().stateDict().keySet(), original.teacher().stateDict().keySet());

            for (int i = 0; i < 2; i++) {
                TrainingReport report = original.step(batches.get(i));
                assertTrue(report.applied(), "step " + i + " applied: loss and gradients finite, " + report);
            }
            restored.loadState(original.saveState());
            for (int i = 2; i < 4; i++) {
                assertEquals(original.step(batches.get(i)).loss(), restored.step(batches.get(i)).loss(),
                        "loss of step " + i + " after restore: the same paths dropped");
            }
            assertSameState(original, restored);
        }
    }

    @Test
    void aStateForAnotherModelIsRefusedWithAClearMessage() {
        try (DinoTrainer small = new DinoTrainer(TrainerFixtures.tinyResNet(1))) {
            TrainerConfig wider = TrainerConfig.builder()
                    .model(new ModelSpec("resnet18", 16, true, 64, 64, 16, 3, true, true))
                    .schedules(TrainerFixtures.tinyResNet(1).schedules())
                    .views(2, 2)
                    .build();
            try (DinoTrainer other = new DinoTrainer(wider)) {
                byte[] state = small.saveState();
                IllegalArgumentException e =
                        assertThrows(IllegalArgumentException.class, () -> other.loadState(state));
                assertTrue(e.getMessage().contains("model options"), e.getMessage());
            }
            try (DinoTrainer sgd = new DinoTrainer(TrainerFixtures.tinyResNet(1, Optimizer.Kind.SGD))) {
                byte[] state = small.saveState();
                IllegalArgumentException e =
                        assertThrows(IllegalArgumentException.class, () -> sgd.loadState(state));
                assertTrue(e.getMessage().contains("--train.optimizer"), e.getMessage());
            }
            byte[] truncated = Arrays.copyOf(small.saveState(), 100);
            assertThrows(IllegalArgumentException.class, () -> small.loadState(truncated));
        }
    }

    @Test
    void aNonFiniteLossLeavesTheModelUnchangedAndIsCounted() {
        TrainerConfig config = TrainerConfig.builder()
                .model(new ModelSpec("identity:8", 1, false, 10, 16, 4, 3, true, false))
                .schedules(DinoSchedules.continual(100).build())
                .views(2, 1)
                .build();
        try (DinoTrainer trainer = new DinoTrainer(config)) {
            SeededRandom r = new SeededRandom(3);
            trainer.step(features(r, false));
            Map<String, double[]> before = TrainerFixtures.snapshot(trainer);
            TrainingReport report = trainer.step(features(r, true));
            assertFalse(report.applied());
            assertTrue(Double.isNaN(report.loss()));
            assertEquals(1, trainer.nonFiniteSteps());
            assertEquals(1, trainer.stepCount(), "a skipped step does not advance the schedules");
            long seen = trainer.imagesSeen();
            assertEquals(report.batchSize(), trainer.imagesSkipped(), "its images are counted as taken, not trained on");
            DinoTrainer restored = new DinoTrainer(config);
            restored.loadState(trainer.saveState());
            assertEquals(trainer.imagesSkipped(), restored.imagesSkipped(), "the count is part of the state");
            assertEquals(seen, restored.imagesSeen());
            restored.close();
            Map<String, double[]> after = TrainerFixtures.snapshot(trainer);
            before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k + " changed"));
            assertTrue(trainer.step(features(r, false)).applied(), "training goes on after a bad batch");
        }
    }

    /**
     * A prototype whose direction vector has shrunk to ~1e-20 still gives a finite loss (its weight
     * is v / ‖v‖), but its gradient overflows float32: the step must be skipped, not applied.
     */
    @Test
    void aNonFiniteGradientWithAFiniteLossLeavesTheModelUnchangedAndIsCounted() {
        try (DinoTrainer trainer = new DinoTrainer(identityConfig(0));
                ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            SeededRandom r = new SeededRandom(3);
            trainer.step(features(r, false));
            ai.djl.ndarray.NDArray v = trainer.student().stateDict().get("head.last_layer.weight_v");
            float[] healthy = v.toFloatArray();
            float[] shrunk = healthy.clone();
            Arrays.fill(shrunk, 0, 4, 1e-20f);
            Tensors.assign(v, m.create(shrunk, v.getShape()));
            Map<String, double[]> before = TrainerFixtures.snapshot(trainer);

            TrainingReport report = trainer.step(features(r, false));

            assertTrue(Double.isFinite(report.loss()), "the loss stays finite: " + report.loss());
            assertFalse(report.applied());
            assertEquals(1, trainer.nonFiniteSteps());
            assertEquals(1, trainer.stepCount(), "a skipped step does not advance the schedules");
            Map<String, double[]> after = TrainerFixtures.snapshot(trainer);
            before.forEach((k, val) -> assertArrayEquals(val, after.get(k), k + " changed"));
            Tensors.assign(v, m.create(healthy, v.getShape()));
            assertTrue(trainer.step(features(r, false)).applied(), "training goes on after a bad step");
        }
    }

    @Test
    void aBatchWithTheWrongNumberOfViewsIsRefused() {
        try (DinoTrainer trainer = new DinoTrainer(TrainerFixtures.tinyResNet(1))) {
            TensorBatch threeViews = new TensorBatch(
                    List.of(new double[48], new double[48], new double[48]), new Shape(1, 3, 4, 4));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> trainer.step(threeViews));
            assertTrue(e.getMessage().contains("views"), e.getMessage());
        }
    }

    /** With an identity backbone the student's features are the views, so the KoLeo term can be computed apart. */
    @Test
    void koleoAddsItsWeightedTermOnTheGlobalViewsToTheLoss() {
        TensorBatch batch = features(new SeededRandom(5), false);
        double weight = 0.25;
        double plain;
        double withKoleo;
        try (DinoTrainer trainer = new DinoTrainer(identityConfig(0))) {
            plain = trainer.step(batch).loss();
        }
        try (DinoTrainer trainer = new DinoTrainer(identityConfig(weight))) {
            withKoleo = trainer.step(batch).loss();
        }
        double expected = 0;
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            for (int v = 0; v < 2; v++) {
                expected += KoLeoLoss.compute(batch.view(v, m, ai.djl.ndarray.types.DataType.FLOAT64)).getDouble();
            }
        }
        assertTrue(Math.abs(expected) > 1e-2, "a term large enough to see: " + expected);
        assertEquals(plain + weight * expected, withKoleo, 1e-5);
    }

    private static TrainerConfig identityConfig(double koleoWeight) {
        return TrainerConfig.builder()
                .model(new ModelSpec("identity:8", 1, false, 10, 16, 4, 3, true, false))
                .schedules(DinoSchedules.continual(100).build())
                .views(2, 1)
                .koleoWeight(koleoWeight)
                .build();
    }

    private static TensorBatch features(SeededRandom r, boolean withNaN) {
        List<double[]> views = new ArrayList<>();
        for (int v = 0; v < 3; v++) {
            double[] x = new double[4 * 8];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextGaussian();
            }
            if (withNaN) {
                x[5] = Double.NaN;
            }
            views.add(x);
        }
        return new TensorBatch(views, new Shape(4, 8));
    }

    private static void assertSameState(DinoTrainer a, DinoTrainer b) {
        Map<String, double[]> sa = TrainerFixtures.snapshot(a);
        Map<String, double[]> sb = TrainerFixtures.snapshot(b);
        assertEquals(sa.keySet(), sb.keySet());
        sa.forEach((k, v) -> assertArrayEquals(v, sb.get(k), k + " differs"));
    }
}
