package io.dinostream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.train.SlotResources;
import org.apache.flink.api.common.operators.SlotSharingGroup;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * --train.slot-sharing-group and --train.slot-resources in the job graph: the trainer and the
 * monitor take a slot sharing group of their own, which asks for the GPU; the CPU stages stay in
 * the default group. k8s/dino-stream-gpu.yaml relies on this to put the trainer on the GPU TaskManager.
 */
class TrainerPlacementTest {

    private static Map<String, String> groupsOf(JobConfig config) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
        DinoStreamJob.build(env, config, DinoStreamJob.kafkaEnds(config));
        StreamGraph graph = env.getStreamGraph();
        Map<String, String> groups = new LinkedHashMap<>();
        for (StreamNode node : graph.getStreamNodes()) {
            groups.put(node.getOperatorName(), node.getSlotSharingGroup());
        }
        return groups;
    }

    private static JobConfig config(String... extra) {
        Map<String, String> settings = new LinkedHashMap<>(Map.of("kafka.bootstrap-servers", "localhost:9092",
                "flink.checkpoint-interval-ms", "0", "crops.parallelism", "3"));
        for (int i = 0; i < extra.length; i += 2) {
            settings.put(extra[i], extra[i + 1]);
        }
        return JobConfig.of(settings);
    }

    @Test
    void theTrainerAndTheMonitorTakeTheNamedGroupWhichAsksForTheGpu() {
        JobConfig config = config("train.slot-sharing-group", "gpu", "train.slot-resources",
                "cpu=2,heap=1g,off-heap=6g,gpu=1");
        Map<String, String> groups = groupsOf(config);

        assertEquals("gpu", groups.get("TrainDino"), groups.toString());
        assertEquals("gpu", groups.get("ProbeMonitor"), groups.toString());
        assertEquals("default", groups.get("MultiCrop"), groups.toString());
        assertEquals("default", groups.get("DecodeImage"), groups.toString());
        SlotSharingGroup group = config.trainer().slotResources().group("gpu");
        assertEquals(1.0, group.getExternalResources().get(SlotResources.GPU));
        assertEquals(MemorySize.parse("6g"), group.getTaskOffHeapMemory().orElseThrow());
        assertEquals(2.0, group.getCpuCores().orElseThrow());
    }

    @Test
    void withoutAGroupEveryOperatorSharesTheDefaultOne() {
        assertTrue(groupsOf(config()).values().stream().allMatch("default"::equals));
    }

    @Test
    void resourcesNeedAGroupAndCpuAndHeap() {
        IllegalArgumentException noGroup = assertThrows(IllegalArgumentException.class,
                () -> config("train.slot-resources", "cpu=2,heap=1g,gpu=1"));
        assertTrue(noGroup.getMessage().endsWith("needs --train.slot-sharing-group NAME: the default group cannot"
                + " declare resources"), noGroup.getMessage());
        IllegalArgumentException noHeap = assertThrows(IllegalArgumentException.class,
                () -> config("train.slot-sharing-group", "gpu", "train.slot-resources", "gpu=1"));
        assertEquals("--train.slot-resources must be '' or cpu=N,heap=SIZE[,off-heap=SIZE][,gpu=N] with cpu > 0 and"
                + " heap > 0 (Flink needs both once a slot sharing group declares resources), e.g."
                + " cpu=2,heap=1g,off-heap=6g,gpu=1; got 'gpu=1'", noHeap.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> config("train.slot-sharing-group", "gpu", "train.slot-resources", "cpu=2,heap=1g,tpu=1"));
    }
}
