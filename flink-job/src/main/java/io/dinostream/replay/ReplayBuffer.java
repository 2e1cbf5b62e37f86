package io.dinostream.replay;

import io.dinostream.types.DecodedImage;
import io.dinostream.types.RgbImage;
import io.dinostream.util.SeededRandom;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The replay buffer's logic, apart from Flink: for each new image it passes the image on, lets the
 * {@link ReplayPolicy} decide whether the buffer keeps it (and what leaves), and sends replays
 * (stored images, uniformly drawn) so that, over the stream, {@code fraction} of what it sends are
 * replays: a credit of fraction / (1 − fraction) accrues per new image and each whole unit buys one
 * replay, so 0.5 sends one replay after each new image, exactly.
 *
 * <p>Everything it decides with lives in a {@link Store} — the stored images, per slot their
 * metadata, and its counters (the random generator's state, images seen, replays sent, the
 * credit, images held by the window, stale images) — and what it keeps on the heap (ages, labels, sizes, features and nearest neighbours) is
 * a function of that store, rebuilt on first use. So a buffer over a restored store continues
 * exactly as the original would have, bit for bit: ties are broken by slot index, and the nearest
 * neighbours are maintained so that they always equal a rebuild's.
 *
 * <p>A stale image (its Kafka record older than {@link ReplaySettings#maxLag()} when it arrives) is not
 * sent: it is offered to the buffer only, buys no replays, and is counted. So a job that cannot keep
 * up with its stream skips ahead to the present while its buffer still samples all of the stream.
 */
public final class ReplayBuffer {

    /** Where the buffer's state lives: Flink keyed state in the job, maps in tests. */
    public interface Store {
        /** The counters, or null before the first image. */
        long[] counters();

        void counters(long[] values);

        byte[] image(int slot);

        void image(int slot, byte[] stored);

        void removeImage(int slot);

        void meta(int slot, byte[] meta);

        void removeMeta(int slot);

        /** Every slot's metadata, in any order. */
        Map<Integer, byte[]> metas();

        /** The image held in slot i of the shuffle window, as {@link StoredImage} keeps it. */
        byte[] held(int i);

        void held(int i, byte[] stored);

        void removeHeld(int i);
    }

    /** A store in plain maps, for tests and tools. */
    public static final class MapStore implements Store {
        private long[] counters;
        private final Map<Integer, byte[]> images = new HashMap<>();
        private final Map<Integer, byte[]> metas = new HashMap<>();
        private final Map<Integer, byte[]> held = new HashMap<>();

        @Override
        public long[] counters() {
            return counters == null ? null : counters.clone();
        }

        @Override
        public void counters(long[] values) {
            counters = values.clone();
        }

        @Override
        public byte[] image(int slot) {
            return images.get(slot);
        }

        @Override
        public void image(int slot, byte[] stored) {
            images.put(slot, stored);
        }

        @Override
        public void removeImage(int slot) {
            images.remove(slot);
        }

        @Override
        public void meta(int slot, byte[] meta) {
            metas.put(slot, meta);
        }

        @Override
        public void removeMeta(int slot) {
            metas.remove(slot);
        }

        @Override
        public Map<Integer, byte[]> metas() {
            return new HashMap<>(metas);
        }

        @Override
        public byte[] held(int i) {
            return held.get(i);
        }

        @Override
        public void held(int i, byte[] stored) {
            held.put(i, stored);
        }

        @Override
        public void removeHeld(int i) {
            held.remove(i);
        }
    }

    /** The buffer at a glance, for gauges: ages are in images seen since an image was stored. */
    public record Stats(int size, long bytes, long seen, long replays, double meanAge, long maxAge, int labels,
            double labelEntropy, int held, long stale) {

        /** An empty buffer's. */
        public static final Stats EMPTY = new Stats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    static final int FEATURE_SIDE = 8;
    private static final long SEED_SALT = 0x2E91A7_5EEDL;

    private final ReplaySettings settings;
    private final Store store;
    private final long seed;

    private boolean loaded;
    private SeededRandom rng;
    private long seen;
    private long replays;
    private double credit;
    private int held;
    private long stale;

    private int size;
    private long bytes;
    private long[] admitted;
    private String[] labels;
    private int[] sizes;
    private float[][] features;
    private double[] nnSim;
    private int[] nnIdx;

    public ReplayBuffer(ReplaySettings settings, long seed, Store store) {
        this.settings = settings;
        this.seed = seed;
        this.store = store;
    }

    /**
     * Takes one new image, arriving at now (ms since the epoch). A stale one is only offered to the
     * buffer. Otherwise, with a shuffle window it is held and a held image (or itself) goes on;
     * whatever goes on is sent, offered to the buffer and followed by the replays its credit buys.
     * With neither replay, a window nor a lag limit the image only passes through — once the window
     * that a restored state may still hold (from a run with a window) has been sent on.
     */
    public void offer(DecodedImage image, long now, Consumer<DecodedImage> out) {
        load();
        if (!settings.stateful() && held == 0) {
            out.accept(image);
            return;
        }
        while (held > settings.shuffleWindow()) {
            // A restore with a smaller window (or none): what no longer fits goes on first, in slot order.
            pass(release(held - 1), out);
        }
        if (settings.stale(image.time(), now)) {
            stale++;
            if (settings.enabled()) {
                seen++;
                admit(image);
            }
            saveCounters();
            return;
        }
        if (settings.shuffleWindow() > 0) {
            image = shuffle(image);
        }
        if (image != null) {
            pass(image, out);
        }
        saveCounters();
    }

    /**
     * A shuffle buffer: the window fills first; after that each new image and the held ones are equally
     * likely to go on, and a held one that goes is replaced by the new image.
     */
    private DecodedImage shuffle(DecodedImage image) {
        int n = settings.shuffleWindow();
        if (held < n) {
            store.held(held++, StoredImage.encode(image));
            return null;
        }
        int pick = rng.nextInt(n + 1);
        if (pick == n) {
            return image;
        }
        DecodedImage out = StoredImage.decode(store.held(pick));
        store.held(pick, StoredImage.encode(image));
        return out;
    }

    private DecodedImage release(int slot) {
        DecodedImage image = StoredImage.decode(store.held(slot));
        store.removeHeld(slot);
        held--;
        return image;
    }

    /** An image leaving the window (or arriving, without one): on to the crops, into the buffer, and its replays. */
    private void pass(DecodedImage image, Consumer<DecodedImage> out) {
        out.accept(image);
        if (!settings.enabled()) {
            return;
        }
        seen++;
        admit(image);
        credit += settings.replaysPerImage();
        if (size == 0) {
            credit = 0; // nothing to replay (an image over the byte limit): no debt either
        }
        while (credit >= 1) {
            credit -= 1;
            int slot = rng.nextInt(size);
            replays++;
            out.accept(StoredImage.decode(store.image(slot)).asReplay(replays));
        }
    }

    private void saveCounters() {
        store.counters(new long[] {rng.state(), seen, replays, Double.doubleToRawLongBits(credit), held, stale});
    }

    // ------------------------------------------------------------------ policies

    private void admit(DecodedImage image) {
        switch (settings.policy()) {
            case RESERVOIR -> admitReservoir(image);
            case MINRED -> admitMinRed(image);
        }
    }

    private void admitReservoir(DecodedImage image) {
        // A full buffer draws first, so that the images it turns away (most of a long stream, and all
        // the stale ones of a lagging job) cost no encoding.
        boolean full = size >= settings.capacity();
        long j = full ? draw() : -1;
        if (j >= size) {
            return;
        }
        byte[] stored = StoredImage.encode(image);
        if (stored.length > settings.maxBytes()) {
            return;
        }
        int slot;
        if (!full && bytes + stored.length <= settings.maxBytes()) {
            slot = append();
        } else {
            j = full ? j : draw();
            if (j >= size) {
                return;
            }
            slot = (int) j;
            drop(slot);
        }
        put(slot, image, stored, null);
        while (bytes > settings.maxBytes() && size > 1) {
            int victim = rng.nextInt(size - 1); // any stored image but the new one
            if (victim >= slot) {
                victim++;
            }
            int last = size - 1;
            removeSlot(victim);
            if (slot == last) {
                slot = victim; // the new image moved into the hole
            }
        }
    }

    /** Reservoir sampling's draw: a uniform index below the number of images seen. */
    private long draw() {
        return (long) (rng.nextDouble() * seen);
    }

    private void admitMinRed(DecodedImage image) {
        float[] f = feature(image.image());
        if (size < settings.capacity() && bytes < settings.maxBytes()) {
            byte[] stored = StoredImage.encode(image);
            if (stored.length > settings.maxBytes()) {
                return;
            }
            int slot = append();
            put(slot, image, stored, f);
            insertNeighbours(slot, similarities(f), false);
        } else {
            // The closest pair among the stored images and the new one loses its older member.
            double[] sims = similarities(f);
            int nearest = argmax(sims, -1);
            int a = mostRedundant();
            int victim;
            if (nearest >= 0 && (a < 0 || sims[nearest] >= nnSim[a])) {
                victim = nearest; // the pair (new, nearest): the stored one is older
            } else if (a >= 0) {
                int b = nnIdx[a];
                victim = admitted[a] < admitted[b] || (admitted[a] == admitted[b] && a < b) ? a : b;
            } else {
                return;
            }
            byte[] stored = StoredImage.encode(image);
            if (stored.length > settings.maxBytes()) {
                return;
            }
            drop(victim);
            put(victim, image, stored, f);
            insertNeighbours(victim, sims, true);
        }
        while (bytes > settings.maxBytes() && size > 1) {
            int a = mostRedundant();
            int b = nnIdx[a];
            removeSlot(admitted[a] < admitted[b] || (admitted[a] == admitted[b] && a < b) ? a : b);
        }
    }

    // ------------------------------------------------------------------ slots

    private int append() {
        int slot = size++;
        ensureCapacity(size);
        return slot;
    }

    /** Forgets what slot held (its bytes), before something else is put there. */
    private void drop(int slot) {
        bytes -= sizes[slot];
    }

    private void put(int slot, DecodedImage image, byte[] stored, float[] feature) {
        admitted[slot] = seen;
        labels[slot] = image.label();
        sizes[slot] = stored.length;
        features[slot] = feature;
        bytes += stored.length;
        store.image(slot, stored);
        store.meta(slot, meta(seen, image.label(), stored.length, feature));
    }

    /** Removes a slot; the last slot moves into its place so that slots stay 0..size-1. */
    private void removeSlot(int hole) {
        int last = size - 1;
        bytes -= sizes[hole];
        if (hole != last) {
            admitted[hole] = admitted[last];
            labels[hole] = labels[last];
            sizes[hole] = sizes[last];
            features[hole] = features[last];
            nnSim[hole] = nnSim[last];
            nnIdx[hole] = nnIdx[last];
            store.image(hole, store.image(last));
            store.meta(hole, meta(admitted[hole], labels[hole], sizes[hole], features[hole]));
        }
        store.removeImage(last);
        store.removeMeta(last);
        features[last] = null;
        labels[last] = null;
        size--;
        if (settings.policy() == ReplayPolicy.MINRED) {
            moveNeighbours(hole, last);
        }
    }

    private void ensureCapacity(int n) {
        if (admitted.length < n) {
            int c = Math.max(n, Math.min(settings.capacity(), Math.max(16, admitted.length * 2)));
            admitted = Arrays.copyOf(admitted, c);
            labels = Arrays.copyOf(labels, c);
            sizes = Arrays.copyOf(sizes, c);
            features = Arrays.copyOf(features, c);
            nnSim = Arrays.copyOf(nnSim, c);
            nnIdx = Arrays.copyOf(nnIdx, c);
        }
    }

    // ------------------------------------------------------------------ nearest neighbours (MinRed)
    //
    // Invariant: for every slot i (when size > 1), nnIdx[i] is the slot j != i of highest cosine
    // similarity to i, the lowest such j on ties, and nnSim[i] that similarity. A rebuild from the
    // store computes exactly this, so incremental updates must keep it exactly.

    /** Similarities of f to every stored slot. */
    private double[] similarities(float[] f) {
        double[] sims = new double[size];
        for (int i = 0; i < size; i++) {
            sims[i] = dot(f, features[i]);
        }
        return sims;
    }

    /** Index of the highest value (lowest index on ties), skipping skip; -1 when there is none. */
    private static int argmax(double[] values, int skip) {
        int best = -1;
        for (int i = 0; i < values.length; i++) {
            if (i != skip && (best < 0 || values[i] > values[best])) {
                best = i;
            }
        }
        return best;
    }

    /** The slot whose nearest neighbour is closest (lowest slot on ties); -1 with fewer than two. */
    private int mostRedundant() {
        if (size < 2) {
            return -1;
        }
        int best = 0;
        for (int i = 1; i < size; i++) {
            if (nnSim[i] > nnSim[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Slot v now holds a new image whose similarities to the slots (as they were, v included, which
     * held the image it replaced when replaced) are sims.
     */
    private void insertNeighbours(int v, double[] sims, boolean replaced) {
        sims = Arrays.copyOf(sims, size);
        sims[v] = Double.NEGATIVE_INFINITY;
        List<Integer> stale = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (i == v) {
                continue;
            }
            if (replaced && nnIdx[i] == v) {
                stale.add(i); // its nearest neighbour left: search again
            } else if (sims[i] > nnSim[i] || (sims[i] == nnSim[i] && v < nnIdx[i])) {
                nnIdx[i] = v;
                nnSim[i] = sims[i];
            }
        }
        int best = argmax(sims, v);
        nnIdx[v] = best < 0 ? v : best;
        nnSim[v] = best < 0 ? Double.NEGATIVE_INFINITY : sims[best];
        for (int i : stale) {
            nearest(i);
        }
    }

    /** After removeSlot moved slot last into hole (or dropped last when hole == last). */
    private void moveNeighbours(int hole, int last) {
        List<Integer> stale = new ArrayList<>();
        double[] simsMoved = hole < size ? similarities(features[hole]) : null;
        for (int i = 0; i < size; i++) {
            if (nnIdx[i] == hole && !(i == hole)) {
                stale.add(i); // its neighbour was the removed image (or, for the moved image, see below)
            }
        }
        // The image that moved: its own neighbour could be the removed one, which was at hole.
        if (hole < size && (nnIdx[hole] == hole || nnIdx[hole] == last)) {
            stale.add(hole);
        }
        for (int i = 0; i < size; i++) {
            if (stale.contains(i) || i == hole) {
                continue;
            }
            if (nnIdx[i] == last) {
                nnIdx[i] = hole; // the same image, now at a lower slot: still the first of its ties
            } else if (simsMoved != null && simsMoved[i] == nnSim[i] && hole < nnIdx[i]) {
                nnIdx[i] = hole; // a tie the moved image now wins by its lower slot
            }
        }
        for (int i : stale) {
            nearest(i);
        }
        if (size < 2) {
            for (int i = 0; i < size; i++) {
                nnIdx[i] = i;
                nnSim[i] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    /** Searches slot i's nearest neighbour afresh. */
    private void nearest(int i) {
        int best = -1;
        double bestSim = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < size; j++) {
            if (j != i) {
                double s = dot(features[i], features[j]);
                if (best < 0 || s > bestSim) {
                    best = j;
                    bestSim = s;
                }
            }
        }
        nnIdx[i] = best < 0 ? i : best;
        nnSim[i] = bestSim;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /**
     * MinRed's fixed feature of an image: its gray 8x8 thumbnail (area averages), mean removed,
     * scaled to unit length (all zeros for a flat image).
     */
    static float[] feature(RgbImage image) {
        int n = FEATURE_SIDE;
        double[] sum = new double[n * n];
        int[] count = new int[n * n];
        for (int y = 0; y < image.height(); y++) {
            int cy = y * n / image.height();
            for (int x = 0; x < image.width(); x++) {
                int cx = x * n / image.width();
                sum[cy * n + cx] += (image.get(x, y, 0) + image.get(x, y, 1) + image.get(x, y, 2)) / 3.0;
                count[cy * n + cx]++;
            }
        }
        double mean = 0;
        for (int i = 0; i < sum.length; i++) {
            sum[i] = count[i] == 0 ? 0 : sum[i] / count[i];
            mean += sum[i] / sum.length;
        }
        double norm = 0;
        for (int i = 0; i < sum.length; i++) {
            sum[i] -= mean;
            norm += sum[i] * sum[i];
        }
        norm = Math.sqrt(norm);
        float[] f = new float[sum.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = norm == 0 ? 0 : (float) (sum[i] / norm);
        }
        return f;
    }

    // ------------------------------------------------------------------ state

    private static byte[] meta(long admittedAt, String label, int bytes, float[] feature) {
        try {
            DataOutputSerializer out = new DataOutputSerializer(64 + (feature == null ? 0 : feature.length * 4));
            out.writeLong(admittedAt);
            io.dinostream.types.LengthSafeStrings.write(label, out);
            out.writeInt(bytes);
            out.writeInt(feature == null ? -1 : feature.length);
            if (feature != null) {
                for (float v : feature) {
                    out.writeFloat(v);
                }
            }
            return out.getCopyOfBuffer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the counters and every slot's metadata from the store, once. */
    private void load() {
        if (loaded) {
            return;
        }
        loaded = true;
        long[] c = store.counters();
        rng = new SeededRandom(c == null ? seed ^ SEED_SALT : c[0]);
        seen = c == null ? 0 : c[1];
        replays = c == null ? 0 : c[2];
        credit = c == null ? 0 : Double.longBitsToDouble(c[3]);
        held = c == null || c.length < 5 ? 0 : (int) c[4]; // buffers of earlier builds had no window
        stale = c == null || c.length < 6 ? 0 : c[5]; // nor a lag limit
        Map<Integer, byte[]> metas = store.metas();
        size = metas.size();
        int cap = Math.max(16, size);
        admitted = new long[cap];
        labels = new String[cap];
        sizes = new int[cap];
        features = new float[cap][];
        nnSim = new double[cap];
        nnIdx = new int[cap];
        bytes = 0;
        try {
            for (Map.Entry<Integer, byte[]> e : metas.entrySet()) {
                int slot = e.getKey();
                if (slot < 0 || slot >= size) {
                    throw new IllegalStateException("replay buffer slot " + slot + " is outside 0.." + (size - 1));
                }
                DataInputDeserializer in = new DataInputDeserializer(e.getValue());
                admitted[slot] = in.readLong();
                labels[slot] = io.dinostream.types.LengthSafeStrings.read(in);
                sizes[slot] = in.readInt();
                int dim = in.readInt();
                if (dim >= 0) {
                    float[] f = new float[dim];
                    for (int i = 0; i < dim; i++) {
                        f[i] = in.readFloat();
                    }
                    features[slot] = f;
                }
                bytes += sizes[slot];
            }
        } catch (IOException e) {
            throw new UncheckedIOException("replay buffer metadata is corrupt", e);
        }
        if (settings.policy() == ReplayPolicy.MINRED) {
            for (int i = 0; i < size; i++) {
                if (features[i] == null) {
                    // stored under another policy: compute the feature from the image
                    features[i] = feature(StoredImage.decode(store.image(i)).image());
                }
            }
            for (int i = 0; i < size; i++) {
                nearest(i);
            }
        }
    }

    // ------------------------------------------------------------------ inspection

    /** The buffer now (loads it if needed). */
    public Stats stats() {
        if (!settings.stateful()) {
            return Stats.EMPTY;
        }
        load();
        double ageSum = 0;
        long maxAge = 0;
        Map<String, Integer> perLabel = new HashMap<>();
        for (int i = 0; i < size; i++) {
            long age = seen - admitted[i];
            ageSum += age;
            maxAge = Math.max(maxAge, age);
            if (!labels[i].isEmpty()) {
                perLabel.merge(labels[i], 1, Integer::sum);
            }
        }
        int labelled = perLabel.values().stream().mapToInt(Integer::intValue).sum();
        double entropy = 0;
        for (int n : perLabel.values()) {
            double p = (double) n / labelled;
            entropy -= p * Math.log(p);
        }
        return new Stats(size, bytes, seen, replays, size == 0 ? 0 : ageSum / size, maxAge, perLabel.size(), entropy,
                held, stale);
    }

    /** The stored images by slot, decoded (loads the buffer if needed). */
    public List<DecodedImage> contents() {
        if (!settings.enabled()) {
            return List.of();
        }
        load();
        List<DecodedImage> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            out.add(StoredImage.decode(store.image(i)));
        }
        return out;
    }

    /** Checks the nearest-neighbour bookkeeping against a search from scratch (tests). */
    boolean neighboursAreExact() {
        load();
        if (settings.policy() != ReplayPolicy.MINRED || size < 2) {
            return true;
        }
        int[] idx = nnIdx.clone();
        double[] sim = nnSim.clone();
        for (int i = 0; i < size; i++) {
            nearest(i);
        }
        boolean same = Arrays.equals(Arrays.copyOf(idx, size), Arrays.copyOf(nnIdx, size))
                && Arrays.equals(Arrays.copyOf(sim, size), Arrays.copyOf(nnSim, size));
        System.arraycopy(idx, 0, nnIdx, 0, size);
        System.arraycopy(sim, 0, nnSim, 0, size);
        return same;
    }
}
