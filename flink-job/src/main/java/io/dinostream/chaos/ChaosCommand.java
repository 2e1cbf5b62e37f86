package io.dinostream.chaos;

import io.dinostream.config.Cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code chaos}: the job under faults for a while, then the count. Prints a report and writes it
 * to {@code <workdir>/chaos-report.md}; exits 0 only when every promise held.
 */
public final class ChaosCommand {

    private ChaosCommand() {}

    public static int run(List<String> args) throws Exception {
        Cli cli = new Cli("chaos: run the job beside an embedded Kafka and S3 server, kill and starve it on a schedule,"
                + " then drain it and check that nothing was lost (plus job options such as --model.width 8)")
                .option("minutes", "10", "how long faults are injected (then the job is drained and counted)")
                .option("workdir", "dino-stream-chaos", "where Kafka, S3, Flink checkpoints, the job's logs and the report go")
                .option("fault-every-seconds", "60", "seconds from one fault's start to the next")
                .option("fault-seconds", "20", "how long the store or the broker stays down and the CPU hog runs")
                .option("faults", "kill,store,broker,poison,cpu", "faults in the order they are injected, repeated")
                .option("rate", "50", "images per second the producer sends")
                .option("poison-burst", "40", "poison events per poison fault")
                .option("max-recovery-seconds", "240", "a new checkpoint must be published this soon after each fault");
        Map<String, String> jobFlags = cli.parseWithPassThrough(args, name -> name.contains("."));
        if (jobFlags == null) {
            return 0;
        }
        if (cli.getDouble("fault-seconds") >= cli.getDouble("fault-every-seconds")) {
            throw new IllegalArgumentException("--fault-seconds must be shorter than --fault-every-seconds");
        }
        List<ChaosRun.Fault> faults = Arrays.stream(cli.get("faults").split(",")).map(ChaosRun.Fault::parse).toList();
        Path workdir = Path.of(cli.get("workdir"));
        ChaosRun.Options options = new ChaosRun.Options(cli.getDouble("minutes"), workdir,
                cli.getDouble("fault-every-seconds"), cli.getDouble("fault-seconds"), cli.getDouble("rate"),
                cli.getInt("poison-burst"), cli.getDouble("max-recovery-seconds"), faults, jobFlags);
        ChaosRun.Result result = new ChaosRun(options, System.out).run();
        String report = report(options, result);
        System.out.println(report);
        Files.writeString(workdir.resolve("chaos-report.md"), report, StandardCharsets.UTF_8);
        return result.passed() ? 0 : 1;
    }

    /** The figures as Markdown: each fault, then the count and the verdict. */
    public static String report(ChaosRun.Options options, ChaosRun.Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "## Chaos run: %.0f minutes, a fault every %.0f s%n%n", options.minutes(),
                options.faultEverySeconds()));
        sb.append("| # | fault | at s | until s | next checkpoint after s | trainer restored at step |\n");
        sb.append("|---|---|---|---|---|---|\n");
        int i = 1;
        for (ChaosRun.Injected f : r.faults()) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.0f | %s | %s |%n", i++,
                    f.fault().name().toLowerCase(Locale.ROOT), f.startSeconds(), f.endSeconds(),
                    Double.isNaN(f.recoverySeconds()) ? "none" : String.format(Locale.ROOT, "%.1f", f.recoverySeconds()),
                    f.restoredStep() < 0 ? "" : Long.toString(f.restoredStep())));
        }
        long survived = r.faults().stream().filter(f -> !Double.isNaN(f.recoverySeconds())
                && f.recoverySeconds() <= options.maxRecoverySeconds()).count();
        sb.append(String.format(Locale.ROOT, "%nfaults injected %d, survived %d (a checkpoint published within %.0f s)%n",
                r.faults().size(), survived, options.maxRecoverySeconds()));
        sb.append(String.format(Locale.ROOT,
                "events produced %d = trained %d + in skipped steps %d + dead-lettered %d + held out %d; lost %d%n",
                r.produced(), r.trained(), r.skipped(), r.deadLetters(), r.heldOut(), r.lost()));
        sb.append(String.format(Locale.ROOT, "(%d good events, %d poison events)%n", r.good(), r.poison()));
        sb.append(String.format(Locale.ROOT, "longest stall between two published checkpoints %.1f s; final step %d%n",
                r.longestStallSeconds(), r.finalStep()));
        sb.append(String.format(Locale.ROOT, "checkpoints verified by a reader %d (sha256 of every file), latest.json reads %d%n",
                r.checkpointsVerified(), r.latestReads()));
        if (r.passed()) {
            sb.append("PASSED: nothing lost, no partial checkpoint seen, latest.json never moved back\n");
        } else {
            sb.append("FAILED:\n");
            r.violations().forEach(v -> sb.append("- ").append(v).append('\n'));
        }
        return sb.toString();
    }
}
