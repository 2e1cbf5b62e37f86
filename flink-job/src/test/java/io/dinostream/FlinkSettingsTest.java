package io.dinostream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flink.* settings, and what the job's Flink takes from them. */
final class FlinkSettingsTest {

    @Test
    void badValuesAreRefusedWhenBuilt() {
        assertEquals("--flink.checkpoint-interval-ms must be >= 0, got -1", assertThrows(
                IllegalArgumentException.class, () -> new FlinkSettings(-1, "", 1, "", 0)).getMessage());
        assertEquals("--flink.parallelism must be >= 0, got -1", assertThrows(
                IllegalArgumentException.class, () -> new FlinkSettings(0, "", -1, "", 0)).getMessage());
    }

    @Test
    void zeroIntervalTurnsCheckpointsOff() {
        assertFalse(new FlinkSettings(0, "", 1, "", 0).checkpointing());
        assertTrue(new FlinkSettings(1000, "", 1, "", 0).checkpointing());
    }

    @Test
    void configureSetsTheCheckpointStorageAndParallelism() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());

        DinoStreamJob.configure(env, new FlinkSettings(5000, "file:///tmp/dino-checkpoints", 3, "", 0));

        assertEquals(3, env.getParallelism());
        assertEquals(5000, env.getCheckpointInterval());
        assertEquals("file:///tmp/dino-checkpoints",
                env.getConfiguration().get(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
    }

    /** Uncompressed, Flink reads operator state back a byte per call on the file: 8 s for 14 MB. */
    @Test
    void snapshotsAreCompressedWithOrWithoutCheckpoints() {
        for (FlinkSettings settings : java.util.List.of(new FlinkSettings(5000, "file:///tmp/c", 1, "", 0),
                new FlinkSettings(0, "", 1, "", 0))) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
            DinoStreamJob.configure(env, settings);
            assertTrue(env.getConfig().isUseSnapshotCompression(), "for savepoints too: " + settings);
        }
    }

    @Test
    void withoutTheOptionTheClustersParallelismStands() {
        Configuration cluster = new Configuration();
        cluster.set(CoreOptions.DEFAULT_PARALLELISM, 4); // as flink run -p 4 or spec.job.parallelism: 4 set it
        cluster.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "file:///tmp/cluster-checkpoints");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(cluster);

        DinoStreamJob.configure(env, JobConfig.of(java.util.Map.of()).flink());

        assertEquals(4, env.getParallelism());
    }

    @Test
    void aLocalRunWithoutTheOptionRunsOneOfEachOperator() throws Exception {
        assertEquals(1, DinoStreamJob.localRun(new FlinkSettings(0, "", 0, "", 0), "127.0.0.1")
                .get(CoreOptions.DEFAULT_PARALLELISM));
        assertEquals(2, DinoStreamJob.localRun(new FlinkSettings(0, "", 2, "", 0), "127.0.0.1")
                .get(CoreOptions.DEFAULT_PARALLELISM));
    }

    @Test
    void aLocalRunTakesItsRestPortAndResumesFromTheGivenCheckpoint() throws Exception {
        Configuration flink = DinoStreamJob.localRun(new FlinkSettings(0, "", 1, " file:///ckpt/chk-3 ", 8099),
                "127.0.0.1");

        assertEquals(8099, flink.get(RestOptions.PORT));
        assertEquals("file:///ckpt/chk-3", flink.get(StateRecoveryOptions.SAVEPOINT_PATH));
    }

    @Test
    void newestWithoutACheckpointFolderIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DinoStreamJob.localRun(new FlinkSettings(0, "", 1, "newest", 0), "127.0.0.1"));

        assertEquals("--flink.resume-from newest needs --flink.checkpoint-dir", e.getMessage());
    }

    @Test
    void newestUnderAnEmptyFolderStartsFromTheBeginning(@TempDir java.nio.file.Path dir) throws Exception {
        Configuration flink = DinoStreamJob.localRun(new FlinkSettings(0, dir.toUri().toString(), 1, "newest", 0),
                "127.0.0.1");

        assertFalse(flink.getOptional(StateRecoveryOptions.SAVEPOINT_PATH).isPresent());
    }
}
