package io.dinostream.train;

import org.apache.flink.api.common.operators.SlotSharingGroup;
import org.apache.flink.configuration.MemorySize;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the trainer's slot sharing group asks of a TaskManager ({@code --train.slot-resources}, e.g.
 * {@code cpu=2,heap=1g,off-heap=6g,gpu=1}): Flink's fine-grained resource management then places
 * the group only on a TaskManager that offers them, so with {@code gpu=1} only on one that declares
 * the external resource {@code gpu} (k8s/dino-stream-gpu.yaml: the GPU TaskManagers do, the CPU ones
 * set {@code external-resources: none}). Empty: the group asks for nothing and takes any slot.
 *
 * @param cpuCores CPU cores, 0 when not given
 * @param heap task heap memory, null when not given
 * @param offHeap task off-heap memory (libtorch's native memory), null when not given
 * @param gpus amount of the external resource {@code gpu}, 0 when not given
 */
public record SlotResources(double cpuCores, MemorySize heap, MemorySize offHeap, double gpus)
        implements java.io.Serializable {

    /** Flink's name of the GPU external resource ({@code external-resources: gpu}). */
    public static final String GPU = "gpu";
    public static final SlotResources NONE = new SlotResources(0, null, null, 0);

    /** Parses {@code key=value} pairs separated by commas: cpu, heap, off-heap, gpu; "" is {@link #NONE}. */
    public static SlotResources parse(String text) {
        if (text == null || text.isBlank()) {
            return NONE;
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            String[] kv = part.split("=", 2);
            String key = kv[0].trim().toLowerCase(Locale.ROOT);
            if (kv.length != 2 || !Map.of("cpu", 1, "heap", 1, "off-heap", 1, "gpu", 1).containsKey(key)
                    || pairs.put(key, kv[1].trim()) != null) {
                throw new IllegalArgumentException(usage(text));
            }
        }
        try {
            double cpu = Double.parseDouble(pairs.getOrDefault("cpu", "0"));
            double gpus = Double.parseDouble(pairs.getOrDefault("gpu", "0"));
            MemorySize heap = pairs.containsKey("heap") ? MemorySize.parse(pairs.get("heap")) : null;
            MemorySize offHeap = pairs.containsKey("off-heap") ? MemorySize.parse(pairs.get("off-heap")) : null;
            if (!(cpu > 0) || heap == null || heap.getBytes() == 0 || gpus < 0) {
                // Flink needs CPU cores and task heap memory whenever a group declares any resource.
                throw new IllegalArgumentException(usage(text));
            }
            return new SlotResources(cpu, heap, offHeap, gpus);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(usage(text), e);
        }
    }

    private static String usage(String text) {
        return "--train.slot-resources must be '' or cpu=N,heap=SIZE[,off-heap=SIZE][,gpu=N] with cpu > 0 and"
                + " heap > 0 (Flink needs both once a slot sharing group declares resources), e.g."
                + " cpu=2,heap=1g,off-heap=6g,gpu=1; got '" + text + "'";
    }

    public boolean declared() {
        return cpuCores > 0;
    }

    /** The named group with these resources, for {@code slotSharingGroup(SlotSharingGroup)}. */
    public SlotSharingGroup group(String name) {
        SlotSharingGroup.Builder builder = SlotSharingGroup.newBuilder(name);
        if (declared()) {
            builder.setCpuCores(cpuCores).setTaskHeapMemory(heap);
            if (offHeap != null) {
                builder.setTaskOffHeapMemory(offHeap);
            }
            if (gpus > 0) {
                builder.setExternalResource(GPU, gpus);
            }
        }
        return builder.build();
    }

    @Override
    public String toString() {
        if (!declared()) {
            return "";
        }
        return "cpu=" + cpuCores + ",heap=" + heap.toHumanReadableString()
                + (offHeap == null ? "" : ",off-heap=" + offHeap.toHumanReadableString())
                + (gpus > 0 ? ",gpu=" + gpus : "");
    }
}
