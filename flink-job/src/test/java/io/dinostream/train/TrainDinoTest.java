package io.dinostream.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.types.CropSet;
import io.dinostream.types.ModelSnapshot;
import io.dinostream.types.SourcePosition;
import io.dinostream.types.TrainingReport;
import io.dinostream.util.SeededRandom;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The trainer operator in Flink's operator test harness, on the tiny ResNet of the train tests:
 * crop sets are batched into steps, snapshots come by steps and by processing time with the Kafka
 * offsets trained on, the step limit ends training, and a restore from the operator's state gives
 * the very next step an uninterrupted run takes.
 */
class TrainDinoTest {

    private final List<OneInputStreamOperatorTestHarness<CropSet, TrainingReport>> opened = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (var harness : opened) {
            harness.close();
        }
    }

    /** A TrainDino harness, set up but not yet initialised, with processing time at 0. */
    private OneInputStreamOperatorTestHarness<CropSet, TrainingReport> harness(long seed, StreamingTrainer.Policy policy)
            throws Exception {
        var harness = new OneInputStreamOperatorTestHarness<>(
                new TrainDino(TrainerFixtures.tinyResNet(seed), policy, StepWatchdog.Limits.off()));
        opened.add(harness);
        harness.setProcessingTime(0);
        return harness;
    }

    private OneInputStreamOperatorTestHarness<CropSet, TrainingReport> open(StreamingTrainer.Policy policy)
            throws Exception {
        var harness = harness(1, policy);
        harness.open();
        return harness;
    }

    /** Batches of size, snapshots every steps and seconds (0: never), stop after maxSteps (0: never). */
    private static StreamingTrainer.Policy policy(int size, long steps, long seconds, long maxSteps) {
        return new StreamingTrainer.Policy(size, steps, seconds, maxSteps);
    }

    /** n crop sets of noise (2 global views of 16 px, 2 local of 8 px), read at images/0@0 on. */
    private static List<CropSet> crops(int n) {
        SeededRandom random = new SeededRandom(5);
        List<CropSet> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(crop(random, "images", 0, i));
        }
        return out;
    }

    private static CropSet crop(SeededRandom random, String topic, int partition, long offset) {
        return new CropSet(topic + "-" + partition + "-" + offset, new SourcePosition(topic, partition, offset),
                List.of(TrainerFixtures.noise(random, 16), TrainerFixtures.noise(random, 16)),
                List.of(TrainerFixtures.noise(random, 8), TrainerFixtures.noise(random, 8)));
    }

    private static void feed(OneInputStreamOperatorTestHarness<CropSet, TrainingReport> harness, List<CropSet> crops)
            throws Exception {
        for (CropSet c : crops) {
            harness.processElement(new StreamRecord<>(c));
        }
    }

    private static List<ModelSnapshot> snapshots(OneInputStreamOperatorTestHarness<CropSet, TrainingReport> harness) {
        List<ModelSnapshot> out = new ArrayList<>();
        var side = harness.getSideOutput(TrainDino.SNAPSHOTS);
        if (side != null) {
            side.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    private static List<Long> steps(List<ModelSnapshot> snapshots) {
        return snapshots.stream().map(ModelSnapshot::step).toList();
    }

    @Test
    void everyFullBatchOfCropSetsIsOneStepAndTheRestWaits() throws Exception {
        var harness = open(policy(3, 0, 0, 0));

        feed(harness, crops(8));

        List<TrainingReport> reports = harness.extractOutputValues();
        assertEquals(List.of(0L, 1L), reports.stream().map(TrainingReport::step).toList());
        assertEquals(List.of(3, 3), reports.stream().map(TrainingReport::batchSize).toList());
        assertEquals(List.of(3L, 6L), reports.stream().map(TrainingReport::imagesSeen).toList());
        assertEquals(List.of(), snapshots(harness), "no snapshot is due");
    }

    @Test
    void theEndOfInputTrainsTheWaitingCropSetsAsASmallerBatchAndSnapshotsTheLastStep() throws Exception {
        var harness = open(policy(3, 0, 0, 0));
        feed(harness, crops(8));

        harness.endInput();

        List<TrainingReport> reports = harness.extractOutputValues();
        assertEquals(3, reports.size());
        assertEquals(2, reports.get(2).batchSize());
        assertEquals(8, reports.get(2).imagesSeen());
        List<ModelSnapshot> snapshots = snapshots(harness);
        assertEquals(List.of(3L), steps(snapshots));
        assertTrue(snapshots.get(0).isFinal());
        assertEquals(8, snapshots.get(0).imagesSeen());
    }

    @Test
    void aSnapshotComesEveryNSteps() throws Exception {
        var harness = open(policy(2, 2, 0, 0));

        feed(harness, crops(10));

        assertEquals(List.of(2L, 4L), steps(snapshots(harness)));
        assertFalse(snapshots(harness).get(1).isFinal());
    }

    @Test
    void aSnapshotComesAtTheFirstStepAfterTheSecondsHavePassedOnProcessingTime() throws Exception {
        var harness = open(policy(2, 0, 60, 0));
        List<CropSet> crops = crops(8);

        harness.setProcessingTime(59_999);
        feed(harness, crops.subList(0, 2));
        assertEquals(List.of(), steps(snapshots(harness)), "59.999 s after the start");
        harness.setProcessingTime(60_000);
        feed(harness, crops.subList(2, 4));
        assertEquals(List.of(2L), steps(snapshots(harness)), "60 s after the start");
        harness.setProcessingTime(119_999);
        feed(harness, crops.subList(4, 6));
        assertEquals(List.of(2L), steps(snapshots(harness)), "59.999 s after the last snapshot");
        harness.setProcessingTime(500_000);
        feed(harness, crops.subList(6, 8));

        List<ModelSnapshot> snapshots = snapshots(harness);
        assertEquals(List.of(2L, 4L), steps(snapshots), "one snapshot however long the wait");
        assertEquals(List.of(60_000L, 500_000L), snapshots.stream().map(ModelSnapshot::createdAtMillis).toList(),
                "a snapshot is stamped with processing time");
    }

    @Test
    void aSnapshotCarriesTheLastOffsetTrainedOnPerPartitionAndNotThoseStillWaiting() throws Exception {
        var harness = open(policy(2, 1, 0, 0));
        SeededRandom random = new SeededRandom(3);

        feed(harness, List.of(crop(random, "images", 0, 10), crop(random, "images", 1, 3)));
        feed(harness, List.of(crop(random, "images", 0, 12), crop(random, "images", 0, 11)));
        feed(harness, List.of(crop(random, "images", 1, 4)));
        List<ModelSnapshot> whileWaiting = snapshots(harness);
        harness.endInput();

        List<ModelSnapshot> snapshots = snapshots(harness);
        assertEquals(List.of(1L, 2L, 3L), steps(snapshots));
        assertEquals(Map.of("images/0", 10L, "images/1", 3L), snapshots.get(0).kafkaOffsets());
        assertEquals(Map.of("images/0", 12L, "images/1", 3L), snapshots.get(1).kafkaOffsets(),
                "the highest offset of the partition, not the last one in the batch");
        assertEquals(2, whileWaiting.size(), "the waiting crop set made no step");
        assertEquals(Map.of("images/0", 12L, "images/1", 4L), snapshots.get(2).kafkaOffsets(),
                "once trained at the end of input");
    }

    @Test
    void cropSetsAfterTheStepLimitAreNotTrainedOnAndTheLimitsSnapshotIsTheFinalOne() throws Exception {
        var harness = open(policy(2, 0, 0, 2));

        feed(harness, crops(9));
        harness.endInput();

        assertEquals(List.of(0L, 1L), harness.extractOutputValues().stream().map(TrainingReport::step).toList());
        List<ModelSnapshot> snapshots = snapshots(harness);
        assertEquals(List.of(2L), steps(snapshots), "the end of input adds no snapshot of the same step");
        assertTrue(snapshots.get(0).isFinal());
        assertEquals(4, snapshots.get(0).imagesSeen());
    }

    @Test
    void restoringTheOperatorsStateGivesTheSameNextStepsAsAnUninterruptedRun() throws Exception {
        StreamingTrainer.Policy policy = policy(2, 0, 0, 0);
        List<CropSet> crops = crops(7);
        var uninterrupted = open(policy);
        feed(uninterrupted, crops.subList(0, 3)); // one step, and one crop set waiting
        OperatorSubtaskState state = uninterrupted.snapshot(1, 1);
        feed(uninterrupted, crops.subList(3, 7));
        uninterrupted.endInput();

        var restored = harness(99, policy); // another seed: every weight must come from the state
        restored.initializeState(state);
        restored.open();
        feed(restored, crops.subList(3, 7));
        restored.endInput();

        List<TrainingReport> expected = uninterrupted.extractOutputValues();
        List<TrainingReport> actual = restored.extractOutputValues();
        assertEquals(List.of(1L, 2L, 3L), actual.stream().map(TrainingReport::step).toList(),
                "the restored operator goes on from step 1 with the crop set that was waiting");
        for (int i = 0; i < actual.size(); i++) {
            TrainingReport a = expected.get(i + 1);
            TrainingReport b = actual.get(i);
            assertEquals(a.loss(), b.loss(), "loss of step " + b.step());
            assertEquals(a.imagesSeen(), b.imagesSeen(), "images seen at step " + b.step());
            assertEquals(a.teacherEntropy(), b.teacherEntropy(), "teacher entropy of step " + b.step());
        }
        ModelSnapshot a = snapshots(uninterrupted).get(0);
        ModelSnapshot b = snapshots(restored).get(0);
        assertEquals(4, b.step());
        assertArrayEquals(a.teacher(), b.teacher(), "teacher after the restore");
        assertArrayEquals(a.student(), b.student(), "student after the restore");
        assertEquals(a.kafkaOffsets(), b.kafkaOffsets());
    }
}
