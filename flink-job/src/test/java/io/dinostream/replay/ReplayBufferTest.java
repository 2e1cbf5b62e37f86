package io.dinostream.replay;

import io.dinostream.types.DecodedImage;
import io.dinostream.types.RgbImage;
import io.dinostream.types.SourcePosition;
import io.dinostream.util.SeededRandom;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayBufferTest {

    /** Image i of a stream: class i / run (so runs of one class), pixels from the id; gray when gray. */
    static DecodedImage image(int i, int run, int classes, boolean gray) {
        SeededRandom r = new SeededRandom(i * 7919L + 1);
        int w = 6;
        int h = 5;
        byte[] rgb = new byte[w * h * 3];
        for (int p = 0; p < w * h; p++) {
            int v = r.nextInt(256);
            for (int c = 0; c < 3; c++) {
                rgb[p * 3 + c] = (byte) (gray ? v : r.nextInt(256));
            }
        }
        return new DecodedImage("img-" + i, new SourcePosition("images", 0, i), new RgbImage(w, h, rgb),
                Integer.toString((i / run) % classes));
    }

    /**
     * Offers images from..to-1, image i in a record of time 10 i ms; each reaches the buffer at once
     * except every third (i % 3 == 1), which comes 5 s late: stale under a lag limit of 2 s.
     */
    static List<DecodedImage> offerAll(ReplayBuffer buffer, int from, int to, int run, int classes) {
        List<DecodedImage> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            buffer.offer(image(i, run, classes, i % 3 == 0).at(10L * i), 10L * i + (i % 3 == 1 ? 5000 : 0), out::add);
        }
        return out;
    }

    /** Whether offerAll delivers image i late. */
    static boolean late(int i) {
        return i % 3 == 1;
    }

    @Test
    void storedImagesDecodeToTheSamePixels() {
        for (boolean gray : new boolean[] {true, false}) {
            DecodedImage d = image(5, 1, 10, gray);
            DecodedImage back = StoredImage.decode(StoredImage.encode(d));
            assertEquals(d, back);
            DecodedImage unplaced = new DecodedImage("x", null, d.image(), "");
            assertEquals(unplaced, StoredImage.decode(StoredImage.encode(unplaced)));
        }
        DecodedImage gray = image(5, 1, 10, true);
        assertTrue(StoredImage.encode(gray).length < StoredImage.encode(image(5, 1, 10, false)).length,
                "a gray image is stored as one channel");
    }

    @Test
    void halfOfWhatLeavesIsReplayEachNewImageFollowedByOneReplay() {
        ReplayBuffer buffer = new ReplayBuffer(new ReplaySettings(0.5, 50, 1 << 20, ReplayPolicy.RESERVOIR, 0), 1,
                new ReplayBuffer.MapStore());
        List<DecodedImage> out = offerAll(buffer, 0, 200, 20, 10);
        assertEquals(400, out.size());
        for (int i = 0; i < 200; i++) {
            assertEquals("img-" + i, out.get(2 * i).id());
            assertFalse(out.get(2 * i).isReplay());
            assertEquals(i + 1, out.get(2 * i + 1).replay(), "replays are numbered 1, 2, ...");
        }
    }

    @Test
    void aQuarterIsOneReplayPerThreeNewImages() {
        ReplayBuffer buffer = new ReplayBuffer(new ReplaySettings(0.25, 50, 1 << 20, ReplayPolicy.RESERVOIR, 0), 1,
                new ReplayBuffer.MapStore());
        List<DecodedImage> out = offerAll(buffer, 0, 300, 20, 10);
        assertEquals(100, out.stream().filter(DecodedImage::isReplay).count());
        assertEquals(400, out.size());
    }

    @Test
    void offPassesEveryImageOnceAndStoresNothing() {
        ReplayBuffer.MapStore store = new ReplayBuffer.MapStore();
        ReplayBuffer buffer = new ReplayBuffer(ReplaySettings.off(), 1, store);
        List<DecodedImage> out = offerAll(buffer, 0, 50, 5, 10);
        assertEquals(50, out.size());
        assertTrue(store.metas().isEmpty());
        assertEquals(null, store.counters());
    }

    @Test
    void reservoirKeepsAUniformSampleOfASortedStream() {
        ReplayBuffer buffer = new ReplayBuffer(new ReplaySettings(0.5, 500, 1 << 30, ReplayPolicy.RESERVOIR, 0), 3,
                new ReplayBuffer.MapStore());
        offerAll(buffer, 0, 10_000, 1000, 10); // ten runs of 1,000, one class each
        Map<String, Integer> perClass = new HashMap<>();
        buffer.contents().forEach(d -> perClass.merge(d.label(), 1, Integer::sum));
        assertEquals(10, perClass.size(), "every run is in the buffer: " + perClass);
        perClass.values().forEach(n -> assertTrue(n >= 25 && n <= 75, "about 50 of each class: " + perClass));
        ReplayBuffer.Stats stats = buffer.stats();
        assertEquals(500, stats.size());
        assertEquals(10, stats.labels());
        assertTrue(stats.labelEntropy() > 0.95 * Math.log(10), "balanced: " + stats);
        assertTrue(stats.meanAge() > 3000 && stats.maxAge() < 10_000, "ages over the whole stream: " + stats);
    }

    @Test
    void theByteLimitBoundsTheBuffer() {
        for (ReplayPolicy policy : ReplayPolicy.values()) {
            long limit = 20 * StoredImage.encode(image(1, 1, 10, false)).length;
            ReplayBuffer buffer = new ReplayBuffer(new ReplaySettings(0.5, 1000, limit, policy, 0), 3,
                    new ReplayBuffer.MapStore());
            offerAll(buffer, 0, 500, 50, 10);
            ReplayBuffer.Stats stats = buffer.stats();
            assertTrue(stats.bytes() <= limit && stats.size() >= 15 && stats.size() <= 45, policy + ": " + stats);
            assertTrue(buffer.neighboursAreExact(), policy.toString());
        }
    }

    @Test
    void minRedKeepsDistinctImagesAndItsNeighboursExact() {
        ReplayBuffer buffer = new ReplayBuffer(new ReplaySettings(0.5, 40, 1 << 30, ReplayPolicy.MINRED, 0), 5,
                new ReplayBuffer.MapStore());
        // 30 distinct images sent again and again: duplicates are the most redundant and leave first
        for (int pass = 0; pass < 5; pass++) {
            for (int i = 0; i < 30; i++) {
                buffer.offer(image(i, 3, 10, i % 2 == 0), 0, d -> {});
            }
            assertTrue(buffer.neighboursAreExact(), "pass " + pass);
        }
        List<String> ids = buffer.contents().stream().map(DecodedImage::id).distinct().toList();
        assertEquals(30, ids.size(), "each distinct image kept: " + ids);
    }

    @Test
    void aBufferOverARestoredStoreContinuesExactly() {
        for (ReplayPolicy policy : ReplayPolicy.values()) {
            for (int window : new int[] {0, 25}) {
                restoresExactly(new ReplaySettings(0.4, 60, 40 * 200, policy, window));
                restoresExactly(new ReplaySettings(0.4, 60, 40 * 200, policy, window, 2));
            }
        }
    }

    private static void restoresExactly(ReplaySettings settings) {
        ReplayBuffer.MapStore store = new ReplayBuffer.MapStore();
        ReplayBuffer original = new ReplayBuffer(settings, 9, store);
        offerAll(original, 0, 400, 40, 10);
        ReplayBuffer.MapStore copy = copy(store);
        ReplayBuffer restored = new ReplayBuffer(settings, 9, copy);
        assertEquals(original.contents(), restored.contents(), settings.toString());
        List<DecodedImage> a = offerAll(original, 400, 700, 40, 10);
        List<DecodedImage> b = offerAll(restored, 400, 700, 40, 10);
        assertEquals(a, b, settings + ": the same images, replays and replay numbers");
        assertEquals(original.contents(), restored.contents(), settings.toString());
        assertTrue(restored.neighboursAreExact() && original.neighboursAreExact(), settings.toString());
        assertEquals(settings.shuffleWindow(), restored.stats().held(), settings.toString());
        assertEquals(original.stats(), restored.stats(), settings.toString());
        assertEquals(settings.maxLag() > 0 ? 233 : 0, restored.stats().stale(), settings + ": every third of 700");
    }

    @Test
    void aLaggingJobSendsOnlyFreshImagesAndItsBufferStillSamplesTheStaleOnes() {
        ReplayBuffer buffer = new ReplayBuffer(new ReplaySettings(0.5, 1000, 1 << 30, ReplayPolicy.RESERVOIR, 0, 2), 1,
                new ReplayBuffer.MapStore());
        List<DecodedImage> out = offerAll(buffer, 0, 600, 50, 10);
        List<DecodedImage> fresh = out.stream().filter(d -> !d.isReplay()).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            if (!late(i)) {
                expected.add("img-" + i);
            }
        }
        assertEquals(expected, fresh.stream().map(DecodedImage::id).toList(), "the fresh images, in order");
        assertEquals(400, out.size() - fresh.size(), "stale images buy no replays: one per fresh image");
        assertEquals(200, buffer.stats().stale());
        assertEquals(600, buffer.contents().size(), "every image, stale or not, went into the buffer");
        assertTrue(out.stream().filter(DecodedImage::isReplay).anyMatch(d -> late(Integer.parseInt(d.id().substring(4)))),
                "stale images reach the trainer as replays");
    }

    @Test
    void withoutReplayALaggingJobSkipsStaleImagesAndCountsThem() {
        ReplayBuffer.MapStore store = new ReplayBuffer.MapStore();
        ReplayBuffer buffer = new ReplayBuffer(new ReplaySettings(0, 1, 1, ReplayPolicy.RESERVOIR, 0, 2), 1, store);
        List<DecodedImage> out = offerAll(buffer, 0, 300, 50, 10);
        assertEquals(200, out.size());
        assertTrue(out.stream().noneMatch(d -> late(Integer.parseInt(d.id().substring(4))) || d.isReplay()));
        assertEquals(100, buffer.stats().stale());
        assertTrue(store.metas().isEmpty(), "nothing stored");
        // images without a record time (from files) are never stale, however late the clock
        List<DecodedImage> untimed = new ArrayList<>();
        buffer.offer(image(300, 50, 10, false), Long.MAX_VALUE, untimed::add);
        assertEquals(1, untimed.size());
        assertEquals(100, buffer.stats().stale());
    }

    static ReplayBuffer.MapStore copy(ReplayBuffer.MapStore store) {
        ReplayBuffer.MapStore copy = new ReplayBuffer.MapStore();
        copy.counters(store.counters());
        store.metas().forEach((slot, meta) -> {
            copy.meta(slot, meta.clone());
            copy.image(slot, store.image(slot).clone());
        });
        long[] counters = store.counters();
        for (int i = 0; counters != null && counters.length > 4 && i < counters[4]; i++) {
            copy.held(i, store.held(i).clone());
        }
        return copy;
    }

    @Test
    void theShuffleWindowSendsEveryImageOnceInAnotherOrder() {
        ReplayBuffer.MapStore store = new ReplayBuffer.MapStore();
        ReplayBuffer buffer = new ReplayBuffer(new ReplaySettings(0, 1, 1, ReplayPolicy.RESERVOIR, 100), 4, store);
        List<DecodedImage> out = offerAll(buffer, 0, 1000, 200, 5);
        assertEquals(900, out.size(), "the window holds 100");
        assertEquals(100, buffer.stats().held());
        List<String> sent = out.stream().map(DecodedImage::id).toList();
        assertEquals(900, sent.stream().distinct().count(), "no image twice");
        assertTrue(out.stream().allMatch(d -> d.replay() == 0), "nothing is a replay with replay off");
        List<String> inOrder = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            inOrder.add("img-" + i);
        }
        assertFalse(sent.equals(inOrder.subList(0, 900)), "shuffled");
        // what left plus what is held is exactly what arrived
        List<String> all = new ArrayList<>(sent);
        for (int i = 0; i < 100; i++) {
            all.add(StoredImage.decode(store.held(i)).id());
        }
        assertEquals(inOrder, all.stream().sorted((a, b) -> Integer.compare(
                Integer.parseInt(a.substring(4)), Integer.parseInt(b.substring(4)))).toList());
        // a batch of 32 in runs of 200 then mixes classes: count the batches with more than one
        int mixed = 0;
        for (int b = 0; b + 32 <= out.size(); b += 32) {
            if (out.subList(b, b + 32).stream().map(DecodedImage::label).distinct().count() > 1) {
                mixed++;
            }
        }
        assertTrue(mixed >= 20, "of 28 batches, most mix classes: " + mixed);
        // each image left after about as many arrivals as the window holds, not by much more than a few windows
        for (int k = 0; k < out.size(); k++) {
            int arrived = Integer.parseInt(out.get(k).id().substring(4));
            assertTrue(arrived <= k + 100, "image " + arrived + " sent as number " + k);
        }
    }

    @Test
    void aSmallerWindowAfterARestoreSendsWhatNoLongerFitsFirst() {
        ReplayBuffer.MapStore store = new ReplayBuffer.MapStore();
        offerAll(new ReplayBuffer(new ReplaySettings(0, 1, 1, ReplayPolicy.RESERVOIR, 50), 4, store), 0, 80, 10, 5);
        List<DecodedImage> out = new ArrayList<>();
        ReplayBuffer smaller = new ReplayBuffer(new ReplaySettings(0.5, 10, 1 << 20, ReplayPolicy.RESERVOIR, 0), 4,
                store);
        smaller.offer(image(80, 10, 5, false), 0, out::add);
        assertEquals(0, smaller.stats().held());
        assertEquals(51 * 2, out.size(), "the 50 held and the new image, each followed by one replay");
        assertEquals("img-80", out.get(100).id());

        // restored with neither replay nor a window: the held images still go on, none is lost
        ReplayBuffer.MapStore held = new ReplayBuffer.MapStore();
        offerAll(new ReplayBuffer(new ReplaySettings(0, 1, 1, ReplayPolicy.RESERVOIR, 50), 4, held), 0, 80, 10, 5);
        List<DecodedImage> passed = new ArrayList<>();
        ReplayBuffer off = new ReplayBuffer(ReplaySettings.off(), 4, held);
        off.offer(image(80, 10, 5, false), 0, passed::add);
        off.offer(image(81, 10, 5, false), 0, passed::add);
        assertEquals(52, passed.size(), "the 50 held, then each new image");
        assertEquals(List.of("img-80", "img-81"), passed.subList(50, 52).stream().map(DecodedImage::id).toList());
        assertEquals(52, passed.stream().map(DecodedImage::id).distinct().count(), "each image once");
    }

    @Test
    void featuresAreUnitLengthAndFlatImagesZero() {
        float[] f = ReplayBuffer.feature(image(3, 1, 10, false).image());
        double norm = 0;
        for (float v : f) {
            norm += v * v;
        }
        assertEquals(1.0, norm, 1e-5);
        float[] flat = ReplayBuffer.feature(new RgbImage(4, 4, new byte[48]));
        for (float v : flat) {
            assertEquals(0f, v);
        }
    }
}
