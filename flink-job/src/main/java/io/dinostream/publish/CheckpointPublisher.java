package io.dinostream.publish;

import io.dinostream.types.ModelSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a {@link ModelSnapshot} as an immutable checkpoint folder
 * {@code step-<12 digits>/} holding {@code teacher.safetensors}, {@code student.safetensors} and,
 * written after them, {@code manifest.json} (a {@link Manifest}: step, time, images seen, config,
 * code version, metrics, the probe monitor's evaluation when there is one, Kafka offsets, sha256 and
 * size of each file); then {@code latest.json} naming the folder (a {@link Latest}),
 * written last and never moved back to an older step. A reader that follows latest.json never sees
 * a partial checkpoint. Each write is retried with a doubling backoff before giving up.
 */
public final class CheckpointPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointPublisher.class);

    private final ObjectStore store;
    private final Map<String, String> config;
    private final int attempts;
    private final long firstBackoffMillis;
    private final Runnable onRetry;

    /**
     * @param config the job configuration to record (secrets already masked)
     * @param attempts tries per file before {@link #publish} throws
     */
    public CheckpointPublisher(ObjectStore store, Map<String, String> config, int attempts, long firstBackoffMillis) {
        this(store, config, attempts, firstBackoffMillis, () -> {});
    }

    /**
     * @param onRetry called once for every failed attempt that is tried again (for a metric: a
     *     store that needs retries is slow or failing long before the publisher gives up)
     */
    public CheckpointPublisher(ObjectStore store, Map<String, String> config, int attempts, long firstBackoffMillis,
            Runnable onRetry) {
        this.store = store;
        this.config = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(config));
        this.attempts = attempts;
        this.firstBackoffMillis = firstBackoffMillis;
        this.onRetry = onRetry;
    }

    /** The folder of a step: {@code step-000000000123/}. */
    public static String folder(long step) {
        return String.format("step-%012d/", step);
    }

    /** The code version recorded in manifests: the jar's implementation version, or "dev". */
    public static String codeVersion() {
        String v = CheckpointPublisher.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * Publishes the snapshot; returns false when its folder already holds a manifest (a replay
     * after a restore), which is left as it is.
     */
    public boolean publish(ModelSnapshot snapshot) throws IOException, InterruptedException {
        String folder = folder(snapshot.step());
        if (withRetry("read " + folder + Manifest.FILE, () -> store.get(folder + Manifest.FILE)).isPresent()) {
            LOG.info("checkpoint {} already published; keeping it", folder);
            advanceLatest(snapshot.step());
            return false;
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("teacher.safetensors", snapshot.teacher());
        files.put("student.safetensors", snapshot.student());
        Map<String, Manifest.FileEntry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            withRetry("write " + folder + f.getKey(), () -> {
                store.put(folder + f.getKey(), f.getValue(), "application/octet-stream");
                return null;
            });
            entries.put(f.getKey(), Manifest.FileEntry.of(f.getValue()));
        }
        byte[] manifestBytes = Manifest.of(snapshot, config, entries).toJson();
        withRetry("write " + folder + Manifest.FILE, () -> {
            store.put(folder + Manifest.FILE, manifestBytes, "application/json");
            return null;
        });
        advanceLatest(snapshot.step());
        LOG.info("published checkpoint {} ({} images seen) to {}", folder, snapshot.imagesSeen(), store.location());
        return true;
    }

    /**
     * Points latest.json at step unless it already names that step or a newer one. A latest.json
     * that cannot be read is left alone and fails the publish: it may name a newer step, and
     * replacing it could move readers back.
     */
    private void advanceLatest(long step) throws IOException, InterruptedException {
        Optional<byte[]> current = withRetry("read " + Latest.FILE, () -> store.get(Latest.FILE));
        if (current.isPresent()) {
            try {
                if (Latest.parse(current.get(), store.location() + "/" + Latest.FILE).step() >= step) {
                    return;
                }
            } catch (CorruptCheckpointException e) {
                // No reader can follow it either: pointing it at this checkpoint is the repair. Failing
                // the publish instead would restart the job, and its training, until someone fixed the file.
                LOG.warn("{}; replacing it with a pointer to step {}", e.getMessage(), step);
            }
        }
        byte[] bytes = Latest.of(step, Instant.now()).toJson();
        withRetry("write " + Latest.FILE, () -> {
            store.put(Latest.FILE, bytes, "application/json");
            return null;
        });
    }

    private interface Io<T> {
        T run() throws IOException;
    }

    private <T> T withRetry(String what, Io<T> action) throws IOException, InterruptedException {
        long backoff = firstBackoffMillis;
        for (int attempt = 1; ; attempt++) {
            try {
                return action.run();
            } catch (IOException e) {
                if (attempt >= attempts) {
                    throw new IOException("could not " + what + " at " + store.location() + " after " + attempts
                            + " attempts: " + e.getMessage(), e);
                }
                LOG.warn("could not {} at {} (attempt {} of {}): {}; retrying in {} ms", what, store.location(),
                        attempt, attempts, e.getMessage(), backoff);
                onRetry.run();
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, 60_000);
            }
        }
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
