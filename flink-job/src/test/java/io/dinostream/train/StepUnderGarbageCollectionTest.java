package io.dinostream.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.util.SeededRandom;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A training step does not depend on when the JVM collects garbage. In the Flink job other threads
 * (Kafka, decoding, multi-crop) fill the heap while the trainer steps, so collections land between
 * a step's forward pass and its backward; autograd then still needs every tensor the forward pass
 * saved (an attention scale, a drop-path mask, the student temperature). The ViT demo's first steps
 * were skipped as non-finite because DJL had made such tensors over Java buffers that a collection
 * freed ({@link io.dinostream.model.OwnedTensors}). Here a thread collects garbage without pause
 * while the trainer steps, as the job's threads do, and the state must equal a quiet run's.
 */
class StepUnderGarbageCollectionTest {

    private static final int STEPS = 2;

    @Test
    void aVitTrainsExactlyAsWithoutCollectionsWhileAnotherThreadCollectsGarbage() throws Exception {
        assertSameTrainingUnderCollections(TrainerFixtures.tinyVit(1));
    }

    @Test
    void aResNetTrainsExactlyAsWithoutCollectionsWhileAnotherThreadCollectsGarbage() throws Exception {
        assertSameTrainingUnderCollections(TrainerFixtures.tinyResNet(1));
    }

    private static void assertSameTrainingUnderCollections(TrainerConfig config) throws Exception {
        List<CropBatch> batches = new ArrayList<>();
        SeededRandom data = new SeededRandom(11);
        for (int i = 0; i < STEPS; i++) {
            batches.add(TrainerFixtures.noiseBatch(data, 2));
        }
        Map<String, double[]> quiet;
        try (DinoTrainer trainer = new DinoTrainer(config)) {
            for (CropBatch batch : batches) {
                assertTrue(trainer.step(batch).applied(), "a quiet step applies");
            }
            quiet = TrainerFixtures.snapshot(trainer);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong collections = new AtomicLong();
        Thread collector = new Thread(() -> {
            while (!stop.get()) {
                System.gc();
                collections.incrementAndGet();
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "garbage-collector-pressure");
        Map<String, double[]> collected;
        try (DinoTrainer trainer = new DinoTrainer(config)) {
            collector.start();
            try {
                for (int i = 0; i < STEPS; i++) {
                    assertTrue(trainer.step(batches.get(i)).applied(),
                            "step " + i + " applies although garbage was collected during it");
                }
            } finally {
                stop.set(true);
                collector.join();
            }
            collected = TrainerFixtures.snapshot(trainer);
        }
        assertTrue(collections.get() >= STEPS, "the other thread collected garbage " + collections.get() + " times");
        assertEquals(quiet.keySet(), collected.keySet());
        quiet.forEach((name, values) -> assertArrayEquals(values, collected.get(name),
                name + " after " + STEPS + " steps under collections"));
    }
}
