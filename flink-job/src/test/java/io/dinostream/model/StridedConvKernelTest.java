package io.dinostream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No training step reaches oneDNN's strided 1×1 weight-gradient kernel, which writes past its
 * workspace when a layer has fewer input channels than the kernel's register block (oneDNN issue
 * 6035) and spins forever on AVX2-only CPUs. A separate JVM trains a width-4 ResNet-10 (4 and 8
 * input channels at its downsamples, under both blocks) with oneDNN's verbose log on, once with
 * this CPU's own kernels and once held to AVX2 ({@code ONEDNN_MAX_CPU_ISA}, the kernels an AMD
 * EPYC gets), and the log is read for the kernels that ran.
 */
class StridedConvKernelTest {

    /** A weight-gradient convolution line of oneDNN's verbose log, e.g. {@code ...,backward_weights,...,mb32_ic4oc8_ih8oh4kh1sh2...}. */
    private static final Pattern WEIGHT_GRADIENT = Pattern.compile("primitive,exec,cpu,convolution,.*,backward_weights,");
    private static final Pattern STRIDED_ONE_BY_ONE = Pattern.compile("kh1sh([2-9]|\\d\\d)");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"native", "AVX2"})
    void narrowResNetStepsNeverRunAStridedOneByOneWeightGradient(String isa) throws Exception {
        List<String> log = trainWithVerboseOneDnn(isa);
        List<String> weightGradients = log.stream().filter(l -> WEIGHT_GRADIENT.matcher(l).find()).toList();
        assertTrue(weightGradients.size() >= 10, "the verbose log shows the weight-gradient convolutions: "
                + weightGradients.size() + " lines of " + log.size());
        assertTrue(weightGradients.stream().anyMatch(l -> l.contains("kh1sh1")),
                "the downsamples' 1×1 weight gradients ran, at stride 1");
        List<String> strided = weightGradients.stream().filter(l -> STRIDED_ONE_BY_ONE.matcher(l).find()).toList();
        assertEquals(List.of(), strided, "strided 1×1 weight gradients take oneDNN's broken path");
        if (isa.equals("AVX2")) {
            String info = log.stream().filter(l -> l.contains(",info,cpu,isa:")).findFirst().orElse("");
            assertTrue(info.contains("AVX2") && !info.contains("512"), "ONEDNN_MAX_CPU_ISA takes effect: " + info);
            assertTrue(weightGradients.stream().noneMatch(l -> l.contains("avx512")), "no AVX-512 kernel ran");
        }
    }

    /** Runs bench-step in a JVM of its own (oneDNN reads its environment once) and returns its output. */
    private List<String> trainWithVerboseOneDnn(String isa) throws IOException, InterruptedException {
        Path out = dir.resolve("onednn-" + isa + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                "io.dinostream.cli.DinoStreamMain", "bench-step", "--backbone", "resnet10", "--width", "4",
                "--batch", "16", "--global-size", "16", "--local-size", "8", "--local-views", "2",
                "--out-dim", "32", "--hidden-dim", "32", "--bottleneck-dim", "16", "--warmup", "1", "--steps", "2"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("ONEDNN_VERBOSE", "1");
        if (isa.equals("native")) {
            pb.environment().remove("ONEDNN_MAX_CPU_ISA");
        } else {
            pb.environment().put("ONEDNN_MAX_CPU_ISA", isa);
        }
        Process p = pb.start();
        boolean ended = p.waitFor(180, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        List<String> log = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertTrue(ended, "three training steps did not end within 180 s (a hung kernel?); last lines: "
                + log.subList(Math.max(0, log.size() - 5), log.size()));
        assertEquals(0, p.exitValue(), "bench-step failed: " + log.subList(Math.max(0, log.size() - 20), log.size()));
        return log;
    }
}
