package io.dinostream.replay;

import io.dinostream.types.DecodedImage;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replay stage in Flink's keyed operator harness: its buffer is checkpointed and a restored
 * stage holds the identical buffer and sends, image for image and replay number for replay
 * number, what the original sends — under the heap backend and under RocksDB, with and without
 * a shuffle window.
 */
class ReplayStageTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> backendsAndPolicies() {
        List<Arguments> out = new ArrayList<>();
        for (String backend : List.of("hashmap", "rocksdb")) {
            for (ReplayPolicy policy : ReplayPolicy.values()) {
                for (int window : new int[] {0, 30}) {
                    out.add(Arguments.of(backend, policy, window));
                }
            }
        }
        return out.stream();
    }

    private StateBackend backend(String name) {
        return name.equals("rocksdb") ? new EmbeddedRocksDBStateBackend() : new HashMapStateBackend();
    }

    private KeyedOneInputStreamOperatorTestHarness<Integer, DecodedImage, DecodedImage> harness(ReplayStage stage,
            String backend) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(stage),
                new ReplayStage.OneKey(), Types.INT);
        h.setStateBackend(backend(backend));
        return h;
    }

    private static List<DecodedImage> feed(KeyedOneInputStreamOperatorTestHarness<Integer, DecodedImage, DecodedImage> h,
            int from, int to) throws Exception {
        int before = h.extractOutputValues().size();
        for (int i = from; i < to; i++) {
            h.processElement(new StreamRecord<>(ReplayBufferTest.image(i, 50, 10, i % 4 == 0)));
        }
        List<DecodedImage> all = h.extractOutputValues();
        return new ArrayList<>(all.subList(before, all.size()));
    }

    private static List<DecodedImage> contents(ReplayStage stage,
            KeyedOneInputStreamOperatorTestHarness<Integer, DecodedImage, DecodedImage> h) throws Exception {
        h.getOperator().setCurrentKey(ReplayStage.KEY);
        return stage.buffer().contents();
    }

    /** The stage judges staleness by the harness's processing time against each image's record time. */
    @Test
    void staleImagesGoIntoTheBufferOnlyAndAreCounted() throws Exception {
        ReplayStage stage = new ReplayStage(new ReplaySettings(0.5, 80, 1 << 20, ReplayPolicy.RESERVOIR, 0, 2), 42);
        try (var h = harness(stage, "hashmap")) {
            h.open();
            h.setProcessingTime(60_000);
            for (int i = 0; i < 40; i++) {
                long time = i % 2 == 0 ? 59_000 : 57_999; // 1 s old: fresh; 2.001 s old: stale
                h.processElement(new StreamRecord<>(ReplayBufferTest.image(i, 10, 4, true).at(time)));
            }
            List<DecodedImage> out = h.extractOutputValues();
            List<DecodedImage> fresh = out.stream().filter(d -> !d.isReplay()).toList();
            assertEquals(20, fresh.size());
            assertTrue(fresh.stream().allMatch(d -> d.time() == 59_000), "only fresh images go on as new");
            assertEquals(20, out.size() - fresh.size(), "one replay per fresh image");
            assertEquals(40, contents(stage, h).size(), "the stale ones are in the buffer");
            assertEquals(20, stage.buffer().stats().stale());
        }
    }

    @ParameterizedTest(name = "{0} {1} shuffle window {2}")
    @MethodSource("backendsAndPolicies")
    void aRestoredBufferIsIdenticalAndSendsTheSameImages(String backend, ReplayPolicy policy, int window)
            throws Exception {
        ReplaySettings settings = new ReplaySettings(0.5, 80, 1 << 20, policy, window);
        ReplayStage original = new ReplayStage(settings, 42);
        OperatorSubtaskState snapshot;
        List<DecodedImage> atSnapshot;
        List<DecodedImage> afterOriginal;
        List<DecodedImage> contentsAfterOriginal;
        try (var h = harness(original, backend)) {
            h.open();
            List<DecodedImage> first = feed(h, 0, 300);
            assertEquals((300 - window) * 2, first.size(), "each new image (but those held) and one replay");
            snapshot = h.snapshot(1, 1);
            atSnapshot = contents(original, h);
            assertEquals(80, atSnapshot.size());
            afterOriginal = feed(h, 300, 500);
            contentsAfterOriginal = contents(original, h);
        }

        ReplayStage restoredStage = new ReplayStage(settings, 42);
        try (var h = harness(restoredStage, backend)) {
            h.initializeState(snapshot);
            h.open();
            assertEquals(atSnapshot, contents(restoredStage, h), "the restored buffer holds the same images, slot by slot");
            List<DecodedImage> afterRestored = feed(h, 300, 500);
            assertEquals(afterOriginal.size(), afterRestored.size());
            for (int i = 0; i < afterOriginal.size(); i++) {
                DecodedImage a = afterOriginal.get(i);
                DecodedImage b = afterRestored.get(i);
                assertEquals(a, b, "output " + i + " after the restore");
            }
            assertEquals(contentsAfterOriginal, contents(restoredStage, h));
            assertTrue(restoredStage.buffer().neighboursAreExact());
            assertEquals(window, restoredStage.buffer().stats().held(), "the window's images restored");
        }
    }
}
