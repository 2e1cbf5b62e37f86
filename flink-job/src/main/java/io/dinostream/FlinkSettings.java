package io.dinostream;

import io.dinostream.config.Option;
import io.dinostream.config.OptionValues;
import java.util.List;

/**
 * How the job runs on Flink ({@code flink.*}): checkpointing and parallelism, and for a run outside
 * a cluster its REST port and the checkpoint it resumes from (a cluster's own configuration decides
 * those when the jar is submitted there). Immutable and checked when built.
 *
 * @param checkpointIntervalMillis Flink checkpoint interval (0: off)
 * @param checkpointDir durable checkpoint storage (empty: the cluster's execution.checkpointing.dir)
 * @param parallelism default parallelism of the stateless operators; 0 leaves it to the cluster
 *     ({@code flink run -p}, a FlinkDeployment's {@code spec.job.parallelism}), and to 1 in a local run
 * @param resumeFrom a checkpoint or savepoint a local run restores, "newest", or empty
 * @param restPort REST port of a local run's Flink (0: any free port)
 */
public record FlinkSettings(long checkpointIntervalMillis, String checkpointDir, int parallelism, String resumeFrom,
        int restPort) {

    /** {@link #resumeFrom()} that means the newest completed checkpoint under {@link #checkpointDir()}. */
    public static final String NEWEST = "newest";

    public static final Option<Long> CHECKPOINT_INTERVAL_MS = Option.wholeNumber("flink.checkpoint-interval-ms", "30000",
            "Flink checkpoint interval (0: off)").nonNegative();
    public static final Option<String> CHECKPOINT_DIR = Option.text("flink.checkpoint-dir", "",
            "durable checkpoint storage, e.g. file:///var/lib/dino/checkpoints (empty: the cluster's"
                    + " execution.checkpointing.dir)");
    public static final Option<Integer> PARALLELISM = Option.integer("flink.parallelism", "0",
            "default parallelism of the stateless operators (0: the cluster's, e.g. flink run -p or a"
                    + " FlinkDeployment's spec.job.parallelism; 1 in a local run)").nonNegative();
    public static final Option<String> RESUME_FROM = Option.text("flink.resume-from", "",
            "a local run (./dinostream job) restores this checkpoint or savepoint, or with 'newest' the newest"
                    + " completed checkpoint under --flink.checkpoint-dir (on a cluster: flink run -s)");
    public static final Option<Integer> REST_PORT = Option.integer("flink.rest-port", "0",
            "REST port of a local run's Flink, on --web-bind (0: any free port)");

    /** The flink.* options, in help order. */
    public static final List<Option<?>> OPTIONS =
            List.of(CHECKPOINT_INTERVAL_MS, CHECKPOINT_DIR, PARALLELISM, RESUME_FROM, REST_PORT);

    public FlinkSettings {
        CHECKPOINT_INTERVAL_MS.require(checkpointIntervalMillis);
        checkpointDir = checkpointDir.trim();
        PARALLELISM.require(parallelism);
        resumeFrom = resumeFrom.trim();
    }

    /** The flink.* options' values. */
    public static FlinkSettings from(OptionValues values) {
        return new FlinkSettings(values.get(CHECKPOINT_INTERVAL_MS), values.get(CHECKPOINT_DIR),
                values.get(PARALLELISM), values.get(RESUME_FROM), values.get(REST_PORT));
    }

    /** Whether Flink takes checkpoints. */
    public boolean checkpointing() {
        return checkpointIntervalMillis > 0;
    }
}
