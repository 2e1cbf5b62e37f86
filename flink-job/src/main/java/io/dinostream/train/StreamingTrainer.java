package io.dinostream.train;

import io.dinostream.model.NativeCalls;
import io.dinostream.model.Safetensors;
import io.dinostream.types.CropSet;
import io.dinostream.types.ModelSnapshot;
import io.dinostream.types.SourcePosition;
import io.dinostream.types.StreamTypes;
import io.dinostream.types.TrainingReport;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * DINO training over a stream of crop sets: micro-batches them into {@link DinoTrainer} steps,
 * decides when a snapshot is due (every N steps and/or T seconds, at the step limit and at the
 * end of input) and keeps everything a restore needs — the trainer's state, the crop sets waiting
 * for a full batch, the last Kafka offset trained on per partition, and when it last snapshotted —
 * in one byte array. The Flink operator {@code TrainDino} is a thin shell around it.
 */
public final class StreamingTrainer implements AutoCloseable {

    /** The layout around the trainer's own state, which carries its own version ({@link DinoTrainer#saveState}). */
    private static final int STATE_FORMAT = 1;

    /** When snapshots are due and when training stops. */
    public record Policy(int batchSize, long snapshotEverySteps, long snapshotEverySeconds, long maxSteps)
            implements java.io.Serializable {}

    private final DinoTrainer trainer;
    private final Policy policy;
    private final StepWatchdog watchdog;
    private final LongSupplier clockMillis;
    private final List<CropSet> pending = new ArrayList<>();
    private final Map<String, Long> offsets = new TreeMap<>();
    private long lastSnapshotStep = -1;
    private long lastSnapshotMillis;
    private long dropped;
    private long replayed;
    private long replayedSkipped;

    public StreamingTrainer(TrainerConfig config, Policy policy) {
        this(config, policy, StepWatchdog.manual(StepWatchdog.Limits.off(), stalled -> {}, System::nanoTime),
                System::currentTimeMillis);
    }

    /**
     * A streaming trainer whose every step runs under {@code watchdog}, and whose snapshots by
     * seconds and snapshot times follow {@code clockMillis} (the operator's processing time).
     */
    public StreamingTrainer(TrainerConfig config, Policy policy, StepWatchdog watchdog, LongSupplier clockMillis) {
        this.trainer = new DinoTrainer(config);
        this.policy = policy;
        this.watchdog = watchdog;
        this.clockMillis = clockMillis;
        this.lastSnapshotMillis = clockMillis.getAsLong();
    }

    /**
     * Takes one crop set; trains when a batch is full. Reports go to {@code reports}, due
     * snapshots to {@code snapshots}. Past the step limit input is counted and dropped.
     */
    public void accept(CropSet crops, Consumer<TrainingReport> reports, Consumer<ModelSnapshot> snapshots) {
        if (finished()) {
            dropped++;
            return;
        }
        pending.add(crops);
        if (pending.size() >= policy.batchSize()) {
            trainPending(reports, snapshots);
        }
    }

    /** End of input: trains on what is left (a smaller batch) and publishes a final snapshot. */
    public void endOfInput(Consumer<TrainingReport> reports, Consumer<ModelSnapshot> snapshots) {
        if (!pending.isEmpty() && !finished()) {
            trainPending(reports, snapshots);
        }
        if (lastSnapshotStep != trainer.stepCount()) {
            snapshots.accept(snapshot(true));
        }
    }

    private void trainPending(Consumer<TrainingReport> reports, Consumer<ModelSnapshot> snapshots) {
        List<CropSet> batch = new ArrayList<>(pending);
        pending.clear();
        TrainingReport report = watchdog.watch(trainer.stepCount(),
                () -> NativeCalls.call(() -> trainer.step(new CropBatch(batch))));
        for (CropSet c : batch) {
            SourcePosition p = c.position();
            if (c.isReplay()) {
                // A replay's position is where it was first read, not news of the stream.
                if (report.applied()) {
                    replayed++;
                } else {
                    replayedSkipped++;
                }
            } else if (p != null && report.applied()) {
                offsets.merge(p.topic() + "/" + p.partition(), p.offset(), Math::max);
            }
        }
        reports.accept(report);
        long step = trainer.stepCount();
        boolean atLimit = finished();
        boolean bySteps = policy.snapshotEverySteps() > 0 && step % policy.snapshotEverySteps() == 0;
        boolean byTime = policy.snapshotEverySeconds() > 0
                && clockMillis.getAsLong() - lastSnapshotMillis >= policy.snapshotEverySeconds() * 1000;
        if (step != lastSnapshotStep && (atLimit || bySteps || byTime)) {
            snapshots.accept(snapshot(atLimit));
        }
    }

    /** True once the step limit is reached. */
    public boolean finished() {
        return policy.maxSteps() > 0 && trainer.stepCount() >= policy.maxSteps();
    }

    /** The models now, as a snapshot to publish. */
    public ModelSnapshot snapshot(boolean isFinal) {
        lastSnapshotStep = trainer.stepCount();
        lastSnapshotMillis = clockMillis.getAsLong();
        Map<String, String> meta = Map.of("step", Long.toString(trainer.stepCount()), "format", "pt");
        byte[] teacher = NativeCalls.call(() -> Safetensors.write(trainer.teacher().stateDict(), meta));
        byte[] student = NativeCalls.call(() -> Safetensors.write(trainer.student().stateDict(), meta));
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("non_finite_steps", (double) trainer.nonFiniteSteps());
        metrics.put("images_skipped", (double) trainer.imagesSkipped());
        metrics.put("images_replayed", (double) replayed);
        metrics.put("images_replayed_skipped", (double) replayedSkipped);
        return new ModelSnapshot(trainer.stepCount(), trainer.imagesSeen(), lastSnapshotMillis, teacher, student,
                metrics, offsets, isFinal);
    }

    public DinoTrainer trainer() {
        return trainer;
    }

    public int pendingCount() {
        return pending.size();
    }

    /** Images trained on (in applied steps) that the replay stage sent again: part of imagesSeen. */
    public long replayedCount() {
        return replayed;
    }

    /** Replayed images in skipped steps: part of imagesSkipped. */
    public long replayedSkippedCount() {
        return replayedSkipped;
    }

    /** Crop sets that arrived after the step limit and were not trained on. */
    public long droppedCount() {
        return dropped;
    }

    public long lastSnapshotStep() {
        return lastSnapshotStep;
    }

    public Map<String, Long> offsets() {
        return Map.copyOf(offsets);
    }

    /** Everything a restore needs, as bytes. */
    public byte[] saveState() {
        try {
            DataOutputSerializer out = new DataOutputSerializer(1 << 20);
            out.writeInt(STATE_FORMAT);
            byte[] trainerState = NativeCalls.call(trainer::saveState);
            out.writeInt(trainerState.length);
            out.write(trainerState);
            StreamTypes.CropSetSerializer crops = new StreamTypes.CropSetSerializer();
            out.writeInt(pending.size());
            for (CropSet c : pending) {
                crops.serialize(c, out);
            }
            out.writeInt(offsets.size());
            for (Map.Entry<String, Long> e : offsets.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue());
            }
            out.writeLong(lastSnapshotStep);
            out.writeLong(dropped);
            // Appended after format 1's fields, so format 1 states (which end here) still load, with 0.
            out.writeLong(replayed);
            out.writeLong(replayedSkipped);
            return out.getCopyOfBuffer();
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise the trainer state", e);
        }
    }

    /** Restores what {@link #saveState()} wrote. */
    public void loadState(byte[] state) {
        try {
            DataInputDeserializer in = new DataInputDeserializer(state);
            int format = in.readInt();
            if (format != STATE_FORMAT) {
                throw new IllegalArgumentException("streaming trainer state format " + format + " is not the one this"
                        + " build reads (" + STATE_FORMAT + "): restore with the DINO Stream version that took the"
                        + " checkpoint or savepoint");
            }
            byte[] trainerState = new byte[in.readInt()];
            in.readFully(trainerState);
            NativeCalls.call(() -> {
                trainer.loadState(trainerState);
                return null;
            });
            StreamTypes.CropSetSerializer crops = new StreamTypes.CropSetSerializer();
            pending.clear();
            for (int n = in.readInt(); n > 0; n--) {
                pending.add(crops.deserialize(in));
            }
            offsets.clear();
            for (int n = in.readInt(); n > 0; n--) {
                offsets.put(in.readUTF(), in.readLong());
            }
            lastSnapshotStep = in.readLong();
            dropped = in.readLong();
            replayed = in.available() >= Long.BYTES ? in.readLong() : 0;
            replayedSkipped = in.available() >= Long.BYTES ? in.readLong() : 0;
        } catch (IOException e) {
            throw new IllegalArgumentException("trainer state is truncated or corrupt: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        trainer.close();
    }
}
