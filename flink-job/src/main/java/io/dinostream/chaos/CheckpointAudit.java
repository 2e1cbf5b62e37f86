package io.dinostream.chaos;

import io.dinostream.publish.CorruptCheckpointException;
import io.dinostream.publish.Latest;
import io.dinostream.publish.Manifest;
import io.dinostream.publish.ObjectStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads the published checkpoints the way a consumer does, a few times a second, for the whole
 * run: follows {@code latest.json} to its manifest and checks every file the manifest lists
 * (size and sha256), so a partial checkpoint behind {@code latest.json} is caught, and checks
 * that {@code latest.json} never names an older step than it did before. It records when the
 * published step advanced, which tells how long training stalled.
 */
final class CheckpointAudit implements Runnable {

    /** When the published step first reached a value. */
    record Advance(long step, long atNanos, long imagesSeen) {}

    private final ObjectStore store;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Advance> advances = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private long reads;
    private long verified;

    CheckpointAudit(ObjectStore store) {
        this.store = store;
    }

    @Override
    public void run() {
        while (!stop.get()) {
            pollOnce();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * One read of latest.json and, when it moved, of what it names. Store errors are expected during
     * faults; a latest.json or manifest that cannot be parsed is a broken promise.
     */
    void pollOnce() {
        Optional<Latest> latest;
        try {
            latest = Latest.read(store);
        } catch (CorruptCheckpointException e) {
            synchronized (this) {
                reads++;
            }
            record(e.getMessage());
            return;
        } catch (Exception e) {
            return; // the store is down: a reader retries
        }
        if (latest.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        long step = latest.get().step();
        synchronized (this) {
            reads++;
            long last = advances.isEmpty() ? -1 : advances.get(advances.size() - 1).step();
            if (step < last) {
                violations.add("latest.json moved back from step " + last + " to " + step);
                return;
            }
            if (step == last) {
                return;
            }
        }
        String manifestKey = latest.get().manifest();
        String folder = latest.get().folder();
        try {
            Optional<byte[]> manifest = store.get(manifestKey);
            if (manifest.isEmpty()) {
                record("latest.json names step " + step + " but " + manifestKey + " is missing");
                return;
            }
            Manifest m;
            try {
                m = Manifest.parse(manifest.get(), manifestKey);
            } catch (CorruptCheckpointException e) {
                record("step " + step + ": " + e.getMessage());
                return;
            }
            for (Map.Entry<String, Manifest.FileEntry> f : m.files().entrySet()) {
                Optional<byte[]> data = store.get(folder + f.getKey());
                if (data.isEmpty()) {
                    record("step " + step + ": " + f.getKey() + " is listed but missing");
                    return;
                }
                if (!f.getValue().matches(data.get())) {
                    record("step " + step + ": " + f.getKey() + " does not match its size or sha256");
                    return;
                }
            }
            synchronized (this) {
                verified++;
                advances.add(new Advance(step, now, m.imagesSeen()));
            }
        } catch (Exception e) {
            // the store went down between two reads; the next poll reads it again
        }
    }

    /** Records a violation once: polls a few times a second would repeat one that stays. */
    private synchronized void record(String violation) {
        if (!violations.contains(violation)) {
            violations.add(violation);
        }
    }

    void stop() {
        stop.set(true);
    }

    synchronized List<Advance> advances() {
        return List.copyOf(advances);
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    synchronized long reads() {
        return reads;
    }

    synchronized long verified() {
        return verified;
    }

    /** The newest verified checkpoint's step, -1 before the first. */
    synchronized long latestStep() {
        return advances.isEmpty() ? -1 : advances.get(advances.size() - 1).step();
    }

    /** The first advance at or after a time, if any. */
    synchronized Optional<Advance> firstAdvanceAfter(long nanos) {
        return advances.stream().filter(a -> a.atNanos() >= nanos).findFirst();
    }
}
