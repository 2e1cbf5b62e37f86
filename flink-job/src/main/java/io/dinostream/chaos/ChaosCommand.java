package io.dinostream.chaos;

import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.config.PassThrough;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code chaos}: the job under faults for a while, then the count. Prints a report and writes it
 * to {@code <workdir>/chaos-report.md}; exits 0 only when every promise held.
 */
public final class ChaosCommand {

    static final Option<Double> MINUTES =
            Option.number("minutes", "10", "how long faults are injected (then the job is drained and counted)");
    static final Option<String> WORKDIR = Option.text("workdir", "dino-stream-chaos",
            "where Kafka, S3, Flink checkpoints, the job's logs and the report go");
    static final Option<Double> FAULT_EVERY_SECONDS =
            Option.number("fault-every-seconds", "60", "seconds from one fault's start to the next");
    static final Option<Double> FAULT_SECONDS =
            Option.number("fault-seconds", "20", "how long the store or the broker stays down and the CPU hog runs");
    static final Option<List<ChaosRun.Fault>> FAULTS = Option.parsedBy("faults", "kill,store,broker,poison,cpu",
            "faults in the order they are injected, repeated",
            text -> Arrays.stream(text.split(",")).map(ChaosRun.Fault::parse).toList());
    static final Option<Double> RATE = Option.number("rate", "50", "images per second the producer sends");
    static final Option<Integer> POISON_BURST = Option.integer("poison-burst", "40", "poison events per poison fault");
    static final Option<Double> MAX_RECOVERY_SECONDS = Option.number("max-recovery-seconds", "240",
            "a new checkpoint must be published this soon after each fault");

    /** Ours, and any dotted name for the job under test (checked by the job before anything starts). */
    static final OptionSet OPTIONS = OptionSet.of("chaos: run the job beside an embedded Kafka and S3 server, kill and"
                    + " starve it on a schedule, then drain it and check that nothing was lost",
                    MINUTES, WORKDIR, FAULT_EVERY_SECONDS, FAULT_SECONDS, FAULTS, RATE, POISON_BURST, MAX_RECOVERY_SECONDS)
            .passing(PassThrough.claiming(name -> name.contains("."))
                    .help("<job option>", "any job option (see job --help), e.g. --model.width 8"));

    private ChaosCommand() {}

    public static int run(List<String> args) throws Exception {
        OptionValues given = OPTIONS.parseArgs(args);
        if (given == null) {
            System.out.println(OPTIONS.help());
            return 0;
        }
        if (given.get(FAULT_SECONDS) >= given.get(FAULT_EVERY_SECONDS)) {
            throw new IllegalArgumentException("--fault-seconds must be shorter than --fault-every-seconds");
        }
        Path workdir = Path.of(given.get(WORKDIR));
        ChaosRun.Options options = new ChaosRun.Options(given.get(MINUTES), workdir, given.get(FAULT_EVERY_SECONDS),
                given.get(FAULT_SECONDS), given.get(RATE), given.get(POISON_BURST), given.get(MAX_RECOVERY_SECONDS),
                given.get(FAULTS), given.passedThrough());
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
