package io.dinostream.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.dinostream.datasets.ImageSource;
import io.dinostream.datasets.SyntheticSource;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.DecodedImage;
import io.dinostream.types.RgbImage;

import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProbeSetTest {

    private static DecodedImage image(int i, String label, int side) {
        byte[] rgb = new byte[side * side * 3];
        java.util.Arrays.fill(rgb, (byte) i);
        return new DecodedImage("img-" + i, null, new RgbImage(side, side, rgb), label);
    }

    private static List<String> ids(ProbeSet set) {
        return set.probes().stream().map(DecodedImage::id).toList();
    }

    @Test
    void keepsEveryLabelledImageUntilFullResizedToTheEmbeddingSide() {
        ProbeSet set = new ProbeSet(5, 8);
        set.offer(image(0, "cat", 20));
        set.offer(image(1, "", 20)); // unlabelled: cannot vote, ignored
        set.offer(image(2, "dog", 8));

        assertEquals(List.of("img-0", "img-2"), ids(set));
        assertEquals(2, set.offered());
        assertEquals(2, set.classes());
        for (DecodedImage p : set.probes()) {
            assertEquals(8, p.image().width());
            assertEquals(8, p.image().height());
        }
    }

    @Test
    void pastCapacityItIsAUniformSampleOfEverythingOffered() {
        ProbeSet set = new ProbeSet(100, 4);
        for (int i = 0; i < 10_000; i++) {
            set.offer(image(i, "c" + (i % 3), 4));
        }
        assertEquals(100, set.size());
        assertEquals(10_000, set.offered());
        // A uniform sample keeps ~50 of the first 5,000 (binomial, sd 5); keep-first would keep 100,
        // keep-last 0.
        long early = set.probes().stream().filter(p -> Integer.parseInt(p.id().substring(4)) < 5_000).count();
        assertTrue(early > 30 && early < 70, "kept from the first half: " + early);
    }

    /** A looped dataset offers every held-out image again: a copy would be its own nearest neighbour. */
    @Test
    void anIdOfferedAgainIsKeptOnceWithItsNewestContent() {
        ProbeSet roomy = new ProbeSet(10, 4);
        ProbeSet full = new ProbeSet(50, 4);
        for (int loop = 0; loop < 3; loop++) {
            for (int i = 0; i < 200; i++) {
                DecodedImage img = image(i, "c" + (i % 3), 4);
                full.offer(img);
                if (i < 4) {
                    roomy.offer(loop == 2 && i == 1 ? new DecodedImage("img-1", null, image(77, "c1", 4).image(), "c1") : img);
                }
            }
        }
        assertEquals(List.of("img-0", "img-1", "img-2", "img-3"), ids(roomy));
        assertEquals(4, roomy.offered(), "a kept id again is no new arrival");
        assertEquals(77, roomy.probes().get(1).image().get(0, 0, 0), "the newer content replaced the older");
        assertEquals(50, full.size());
        assertEquals(50, java.util.Set.copyOf(ids(full)).size(), "no id twice: " + ids(full));

        ProbeSet restored = new ProbeSet(10, 4);
        restored.restore(List.of(image(1, "a", 4), image(2, "a", 4), image(1, "a", 4)), 3);
        assertEquals(List.of("img-1", "img-2"), ids(restored), "a duplicate in an old saved state is dropped");
        restored.offer(image(2, "a", 4));
        assertEquals(List.of("img-1", "img-2"), ids(restored));
    }

    @Test
    void theSameArrivalsGiveTheSameSetAndARestoredSetContinuesIdentically() {
        ProbeSet a = new ProbeSet(10, 4);
        ProbeSet b = new ProbeSet(10, 4);
        for (int i = 0; i < 500; i++) {
            a.offer(image(i, "x", 4));
            b.offer(image(i, "x", 4));
        }
        assertEquals(ids(a), ids(b));

        ProbeSet restored = new ProbeSet(10, 4);
        restored.restore(a.probes(), a.offered());
        for (int i = 500; i < 800; i++) {
            a.offer(image(i, "x", 4));
            restored.offer(image(i, "x", 4));
        }
        assertEquals(ids(a), ids(restored));
        assertEquals(a.offered(), restored.offered());
    }

    @Test
    void fillsFromLabelledFilesUntilFullSkippingWhatCannotBeDecoded() {
        ProbeSet set = new ProbeSet(30, 16);
        ImageEvent broken = ImageEvent.newBuilder().setId("broken").setLabel("disc")
                .setEncoding(ImageEvent.Encoding.PNG).setData(ByteString.copyFromUtf8("not a png")).build();
        try (SyntheticSource synthetic = new SyntheticSource(24, 3, 1)) {
            Iterator<ImageEvent> events = java.util.stream.Stream.concat(java.util.stream.Stream.of(broken),
                    java.util.stream.Stream.generate(synthetic::next)).iterator();
            int skipped = set.fill(new ImageSource() {
                @Override
                public boolean hasNext() {
                    return events.hasNext();
                }

                @Override
                public ImageEvent next() {
                    return events.next();
                }

                @Override
                public void close() {}
            });
            assertEquals(1, skipped);
        }
        assertEquals(30, set.size());
        assertEquals(3, set.classes());
        assertEquals(16, set.probes().get(0).image().width());
    }
}
