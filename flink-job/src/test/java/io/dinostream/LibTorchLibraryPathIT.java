package io.dinostream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * libtorch given to DJL only through {@code PYTORCH_LIBRARY_PATH}, the way docker/Dockerfile.gpu
 * gives it the CUDA build: the CPU libtorch of the pytorch-native-cpu jar in flink-lib/ is unpacked
 * into a folder, and {@code bench-step} runs in a JVM of its own whose class path holds no
 * pytorch-native jar, with {@code PYTORCH_LIBRARY_PATH}, {@code PYTORCH_VERSION=2.7.1},
 * {@code PYTORCH_FLAVOR=cpu}, offline, and a DJL cache folder of its own. It trains, and both DJL and
 * the process's memory map say that libtorch came from that folder; asking it for a GPU fails at
 * start naming that libtorch.
 */
final class LibTorchLibraryPathIT {

    private static final String LIBTORCH_IN_JAR = "pytorch/cpu/linux-x86_64/";

    private static Path work;
    private static Path libtorch;
    private static String classPath;

    @BeforeAll
    static void unpackTheCpuLibtorchAndDropEveryNativeJar() throws IOException {
        Path target = Path.of(System.getProperty("build.directory", "target")).toAbsolutePath();
        work = target.resolve("libtorch-path-it");
        deleteTree(work);
        libtorch = Files.createDirectories(work.resolve("libtorch/lib"));
        Path nativeJar;
        try (Stream<Path> jars = Files.list(target.resolve("flink-lib"))) {
            nativeJar = jars.filter(p -> p.getFileName().toString().startsWith("pytorch-native-cpu-")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no pytorch-native-cpu jar in " + target
                            + "/flink-lib: run mvn package first"));
        }
        try (ZipFile zip = new ZipFile(nativeJar.toFile())) {
            for (ZipEntry e : zip.stream().toList()) {
                if (!e.isDirectory() && e.getName().startsWith(LIBTORCH_IN_JAR)) {
                    try (InputStream in = zip.getInputStream(e)) {
                        Files.copy(in, libtorch.resolve(e.getName().substring(LIBTORCH_IN_JAR.length())),
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        assertTrue(Files.exists(libtorch.resolve("libtorch_cpu.so")), "libtorch_cpu.so unpacked from " + nativeJar);
        List<String> kept = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("pytorch-native"))
                .toList();
        classPath = String.join(File.pathSeparator, kept);
        assertTrue(kept.stream().anyMatch(e -> e.contains("pytorch-engine")), "DJL's engine stays on the class path");
    }

    /** The unpacked libtorch is ~440 MB: gone once the tests ran (a failed assertion's output says what it saw). */
    @AfterAll
    static void removeTheUnpackedLibtorch() throws IOException {
        deleteTree(work);
    }

    @Test
    void benchStepTrainsOnTheLibtorchOfThatFolderAlone() throws Exception {
        Run run = benchStep(work.resolve("djl-cache-cpu"), "--device", "cpu");

        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("libtorch 2.7.1, flavor cpu (a CPU-only build), loaded from " + libtorch
                + " (PYTORCH_LIBRARY_PATH)"), run.output());
        assertTrue(run.output().contains("libtorch_cpu loaded from " + libtorch.resolve("libtorch_cpu.so")),
                run.output());
        assertTrue(run.output().contains("median step"), run.output());
        assertTrue(Files.exists(work.resolve("djl-cache-cpu/pytorch/2.7.1-cpu-linux-x86_64/0.36.0-libdjl_torch.so")),
                "DJL's own JNI for flavor cpu, unpacked into the run's cache folder");
        try (Stream<Path> cached = Files.walk(work.resolve("djl-cache-cpu"))) {
            assertTrue(cached.noneMatch(p -> p.getFileName().toString().equals("libtorch_cpu.so")),
                    "no libtorch was unpacked into DJL's cache: it came from the folder");
        }
    }

    @Test
    void aGpuFromThatFolderFailsAtStartNamingItAndHowToGetACudaOne() throws Exception {
        Run run = benchStep(work.resolve("djl-cache-gpu"), "--device", "gpu");

        assertNotEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("device gpu:0 was asked for, but the libtorch loaded can use no GPU:"
                + " libtorch 2.7.1, flavor cpu (a CPU-only build), loaded from " + libtorch + " (PYTORCH_LIBRARY_PATH)"),
                run.output());
        assertTrue(run.output().contains("PYTORCH_FLAVOR=cu128"), run.output());
    }

    private record Run(int exitCode, String output) {}

    private static Run benchStep(Path djlCache, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Xmx1g", "-cp", classPath, "io.dinostream.cli.DinoStreamMain", "bench-step",
                "--backbone", "resnet10", "--width", "8", "--out-dim", "256", "--hidden-dim", "64",
                "--bottleneck-dim", "32", "--batch", "8", "--global-size", "16", "--local-size", "8",
                "--image-size", "16", "--warmup", "1", "--steps", "2", "--threads", "1"));
        command.addAll(List.of(extra));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PYTORCH_LIBRARY_PATH", libtorch.toString());
        builder.environment().put("PYTORCH_VERSION", "2.7.1");
        builder.environment().put("PYTORCH_FLAVOR", "cpu");
        builder.environment().put("DJL_CACHE_DIR", djlCache.toString());
        builder.environment().remove("ENGINE_CACHE_DIR");
        Process process = builder.start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("bench-step did not end within 120 s:\n" + output);
        }
        return new Run(process.exitValue(), output);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
    }
}
