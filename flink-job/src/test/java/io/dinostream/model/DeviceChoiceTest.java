package io.dinostream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

/** --train.device on this CPU machine: what is parsed, what is resolved, and what a missing GPU says. */
class DeviceChoiceTest {

    private static final LibTorch CPU_BUILD = new LibTorch("2.7.1", "cpu", "/opt/libtorch/lib", true, false, 0,
            "/opt/djl/libdjl_torch.so");
    private static final LibTorch CUDA_BUILD_WITHOUT_GPU = new LibTorch("2.7.1", "cu128", "/opt/libtorch/lib", true,
            true, 0, "");
    private static final LibTorch TWO_GPUS = new LibTorch("2.7.1", "cu128", "/opt/libtorch/lib", true, true, 2, "");

    @Test
    void parsesEveryForm() {
        assertEquals(DeviceChoice.AUTO, DeviceChoice.parse("auto"));
        assertEquals(DeviceChoice.CPU, DeviceChoice.parse(" CPU "));
        assertEquals(new DeviceChoice(true, 0, false), DeviceChoice.parse("gpu"));
        assertEquals(new DeviceChoice(true, 3, false), DeviceChoice.parse("gpu:3"));
        assertEquals("gpu:3", DeviceChoice.parse("gpu:3").toString());
        assertEquals("auto", DeviceChoice.AUTO.toString());
    }

    @Test
    void refusesWhatIsNoDevice() {
        for (String bad : new String[] {"", "tpu", "gpu:", "gpu:-1", "gpu:x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceChoice.parse(bad));
            assertEquals("device must be auto (a GPU when libtorch has one), cpu, gpu or gpu:N, got '" + bad + "'",
                    e.getMessage());
        }
    }

    @Test
    void autoTakesTheFirstGpuWhenThereIsOneAndTheCpuOtherwise() {
        assertEquals(Device.cpu(), DeviceChoice.AUTO.resolve(CPU_BUILD));
        assertEquals(Device.gpu(0), DeviceChoice.AUTO.resolve(TWO_GPUS));
        assertEquals(Device.cpu(), DeviceChoice.CPU.resolve(TWO_GPUS));
        assertEquals(Device.gpu(1), DeviceChoice.parse("gpu:1").resolve(TWO_GPUS));
    }

    @Test
    void aGpuOnACpuBuildNamesThatLibtorchAndHowToGetACudaOne() {
        String message = assertThrows(IllegalStateException.class,
                () -> DeviceChoice.parse("gpu").resolve(CPU_BUILD)).getMessage();

        assertTrue(message.startsWith("device gpu:0 was asked for, but the libtorch loaded can use no GPU: libtorch"
                + " 2.7.1, flavor cpu (a CPU-only build), loaded from /opt/libtorch/lib (PYTORCH_LIBRARY_PATH)"), message);
        assertTrue(message.contains("PYTORCH_FLAVOR=cu128"), message);
        assertTrue(message.contains("docker/Dockerfile.gpu"), message);
        assertTrue(message.endsWith("Or train on the CPU with --train.device cpu (or auto)."), message);
    }

    @Test
    void aGpuOnACudaBuildWithoutAGpuPointsAtTheDriverAndTheContainer() {
        String message = assertThrows(IllegalStateException.class,
                () -> DeviceChoice.parse("gpu").resolve(CUDA_BUILD_WITHOUT_GPU)).getMessage();

        assertTrue(message.contains("flavor cu128 (a CUDA build)"), message);
        assertTrue(message.contains("nvidia.com/gpu on Kubernetes, --gpus with Docker"), message);
    }

    @Test
    void aGpuPastTheLastOneSaysHowManyThereAre() {
        String message = assertThrows(IllegalStateException.class,
                () -> DeviceChoice.parse("gpu:2").resolve(TWO_GPUS)).getMessage();

        assertTrue(message.startsWith("device gpu:2 was asked for, but the libtorch loaded sees 2 GPUs (gpu:0 to"
                + " gpu:1)"), message);
    }

    @Test
    void theLibtorchOfThisBuildIsTheCpuOneFromTheNativeJar() {
        LibTorch loaded = LibTorch.loaded();

        assertEquals("2.7.1", loaded.version());
        assertEquals("cpu", loaded.flavor());
        assertFalse(loaded.cudaBuild());
        assertFalse(loaded.fromLibraryPath());
        assertEquals(0, loaded.gpuCount());
        assertTrue(Files.exists(Path.of(loaded.directory(), "libtorch_cpu.so")), loaded.directory());
        assertTrue(loaded.jniLibrary().endsWith("libdjl_torch.so"), loaded.jniLibrary());
        assertTrue(Files.exists(Path.of(loaded.jniLibrary())), loaded.jniLibrary());
    }

    @Test
    void askingThisMachineForAGpuFailsNamingItsLibtorch() {
        String message = assertThrows(IllegalStateException.class, () -> DeviceChoice.parse("gpu").resolve())
                .getMessage();

        assertTrue(message.contains("libtorch 2.7.1, flavor cpu (a CPU-only build), loaded from "
                + LibTorch.loaded().directory() + " (unpacked from a pytorch-native jar on the class path)"), message);
    }

    @Test
    void theFlavorOfDjlsCacheFolderIsBetweenVersionAndPlatform() {
        assertEquals("cpu", LibTorch.flavorOfCacheFolder("/home/flink/.djl.ai/pytorch/2.7.1-cpu-linux-x86_64"));
        assertEquals("cu128-precxx11", LibTorch.flavorOfCacheFolder("/c/2.7.1-cu128-precxx11-linux-x86_64"));
        assertEquals("cpu", LibTorch.flavorOfCacheFolder("/home/flink/.djl.ai/pytorch/2.7.1-20250812-cpu-linux-x86_64"));
        assertEquals("unknown", LibTorch.flavorOfCacheFolder("/opt/libtorch/lib"));
    }
}
