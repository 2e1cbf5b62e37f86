package io.dinostream.monitor;

import io.dinostream.augment.BicubicResize;
import io.dinostream.datasets.ImageSource;
import io.dinostream.features.Embedder;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.ingest.RejectedImageException;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.DecodedImage;
import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The online monitor's labelled probe images: at most {@code capacity} of them, each resized to
 * the side the backbone embeds at (bicubic, as {@link Embedder} would), so a probe costs a few
 * KiB of state whatever the camera sends. While there is room every labelled image is kept; after
 * that the set is a uniform sample of everything offered (reservoir sampling), so it follows a
 * stream whose content drifts. The replacement choice is a hash of the image id and its arrival
 * number, so the same arrivals always give the same set (replays after a restore included).
 *
 * <p>An image id is kept at most once: a looped dataset or a replay offers the same held-out
 * images again, and a probe whose copy sits in the set would find itself in leave-one-out scoring
 * (similarity 1) and inflate the score. A kept id offered again takes its slot's place with the
 * newer content and does not count as a new arrival.
 *
 * <p>Not thread-safe.
 */
public final class ProbeSet {

    private final int capacity;
    private final int side;
    private final List<DecodedImage> probes = new ArrayList<>();
    private final Map<String, Integer> slotOfId = new HashMap<>();
    private long offered;

    /**
     * @param capacity most probes kept
     * @param side the probes' stored width and height, in pixels
     */
    public ProbeSet(int capacity, int side) {
        if (capacity < 1 || side < 1) {
            throw new IllegalArgumentException("capacity and side must be >= 1, got " + capacity + ", " + side);
        }
        this.capacity = capacity;
        this.side = side;
    }

    /** Offers a labelled image; unlabelled ones are ignored (they cannot vote). */
    public void offer(DecodedImage image) {
        if (image.label().isEmpty()) {
            return;
        }
        Integer kept = slotOfId.get(image.id());
        if (kept != null) {
            probes.set(kept, resized(image));
            return;
        }
        long n = offered++;
        if (probes.size() < capacity) {
            slotOfId.put(image.id(), probes.size());
            probes.add(resized(image));
            return;
        }
        long slot = (SeededRandom.forKey(n, image.id()).nextLong() >>> 1) % (n + 1);
        if (slot < capacity) {
            slotOfId.remove(probes.get((int) slot).id());
            slotOfId.put(image.id(), (int) slot);
            probes.set((int) slot, resized(image));
        }
    }

    /**
     * Offers images from source until the set is full or the source ends, decoding each with the
     * default limits; returns how many could not be decoded (they are skipped).
     */
    public int fill(ImageSource source) {
        int skipped = 0;
        while (source.hasNext() && probes.size() < capacity) {
            ImageEvent e = source.next();
            try {
                offer(new DecodedImage(e.getId(), null, ImageDecoder.decode(e, DecodeLimits.defaults()), e.getLabel()));
            } catch (RejectedImageException ex) {
                skipped++;
            }
        }
        return skipped;
    }

    private DecodedImage resized(DecodedImage image) {
        RgbImage img = image.image();
        return img.width() == side && img.height() == side
                ? image
                : image.withImage(BicubicResize.resize(img, side, side));
    }

    /** Probes kept. */
    public int size() {
        return probes.size();
    }

    /** Labelled images offered so far. */
    public long offered() {
        return offered;
    }

    /** Distinct labels among the kept probes. */
    public int classes() {
        TreeSet<String> labels = new TreeSet<>();
        probes.forEach(p -> labels.add(p.label()));
        return labels.size();
    }

    /** The kept probes, in slot order. */
    public List<DecodedImage> probes() {
        return List.copyOf(probes);
    }

    /** Replaces the contents with saved probes and count (from {@link #probes()} and {@link #offered()}). */
    public void restore(List<DecodedImage> saved, long offeredCount) {
        if (saved.size() > capacity) {
            saved = saved.subList(0, capacity); // a smaller capacity after a restart
        }
        probes.clear();
        slotOfId.clear();
        for (DecodedImage p : saved) {
            if (slotOfId.putIfAbsent(p.id(), probes.size()) == null) { // states saved before ids were unique
                probes.add(resized(p));
            }
        }
        offered = Math.max(offeredCount, probes.size());
    }
}
