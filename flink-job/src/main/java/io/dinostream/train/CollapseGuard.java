package io.dinostream.train;

import io.dinostream.types.TrainingReport;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Watches training reports for DINO's two collapses (Caron et al. 2021, sec. 5.3 and Fig. 7):
 * <ul>
 *   <li>{@link Status#ONE_PROTOTYPE}: sharpening wins — (nearly) every image's target puts its mass
 *       on the same prototype, so the entropy of the batch-mean target nears 0;
 *   <li>{@link Status#UNIFORM}: centering wins — every target is (nearly) uniform over the K
 *       prototypes, its entropy nears ln K and the loss sits at ln K. The most common failure
 *       users of DINO report, and what the paper's recipe does on small images and CPUs here.
 * </ul>
 * Decisions use the mean over the last {@code window} applied steps, and only once that many have
 * been seen, so one odd batch raises no alarm. Steps before {@code settleSteps} are not judged at
 * all: at the start the student is (nearly) uniform whatever the targets, so the loss sits at
 * ln K in every healthy run.
 *
 * <p>A third failure is slower: {@link Status#STALLED}, targets that stay near-uniform per image
 * (entropy and loss over {@value #STALLED_ABOVE} of ln K, averaged over {@value #STALLED_WINDOW}
 * steps) from step {@value #STALLED_AFTER_STEPS} on, when a healthy run is far below. That is what
 * a stream of long single-class runs does (issue 16's sorted Fashion-MNIST: entropy 5.6, loss 6.5
 * of ln K = 8.3 for the whole run), and the UNIFORM test, at 0.95 of ln K, never saw it.
 */
public final class CollapseGuard {

    /** What the recent steps look like. */
    public enum Status {
        HEALTHY,
        ONE_PROTOTYPE,
        UNIFORM,
        /**
         * Not (yet) the full collapse, but training that never settles: long after the start the
         * targets stay near-uniform per image (entropy and loss over half of ln K). What a stream of
         * long single-class runs does to DINO (each batch one class: the center follows the run and
         * erases what the teacher should teach); measured at entropy 5.6 and loss 6.5 of ln K = 8.3,
         * where a healthy run is near 1.4 and 2.5 by step 400.
         */
        STALLED;

        /** Gauge value: 0 healthy, 1 one prototype, 2 uniform, 3 stalled. */
        public int code() {
            return ordinal();
        }
    }

    /** Fraction of ln K under which the batch-mean target entropy means one prototype wins. */
    public static final double ONE_PROTOTYPE_BELOW = 0.1;
    /** Fraction of ln K over which the per-image target entropy means targets are uniform. */
    public static final double UNIFORM_ABOVE = 0.95;
    /** Relative distance to ln K within which the loss counts as pinned there. */
    public static final double LOSS_AT_LN_K_WITHIN = 0.01;
    /**
     * Fraction of ln K over which the per-image target entropy, and the loss, mean a stalled run
     * (bench/RESULTS.md): healthy runs end at 0.03–0.16 of ln K; the softer τt 0.04 (1 point worse)
     * sat at 0.48 (entropy) and 0.59 (loss); the stream sorted into class runs at 0.67 and 0.78.
     */
    public static final double STALLED_ABOVE = 0.6;
    /** Steps before which a run is not judged stalled: every run starts near-uniform. */
    public static final long STALLED_AFTER_STEPS = 500;
    /** Applied steps the stalled judgement averages over. */
    public static final int STALLED_WINDOW = 100;

    private final double lnK;
    private final int window;
    private final long settleSteps;
    private final Deque<TrainingReport> recent = new ArrayDeque<>();
    private final Deque<TrainingReport> late = new ArrayDeque<>();

    public CollapseGuard(int prototypes, int window) {
        this(prototypes, window, 0);
    }

    public CollapseGuard(int prototypes, int window, long settleSteps) {
        if (prototypes < 2 || window < 1 || settleSteps < 0) {
            throw new IllegalArgumentException(
                    "collapse guard needs K >= 2 prototypes, a window >= 1 and settle steps >= 0");
        }
        this.lnK = Math.log(prototypes);
        this.window = window;
        this.settleSteps = settleSteps;
    }

    /**
     * Takes a report (skipped steps, and steps before the settle steps, are ignored) and returns
     * the status over the window.
     */
    public Status update(TrainingReport report) {
        if (report.applied() && report.step() >= settleSteps) {
            recent.addLast(report);
            if (recent.size() > window) {
                recent.removeFirst();
            }
        }
        if (report.applied() && report.step() >= STALLED_AFTER_STEPS) {
            late.addLast(report);
            if (late.size() > STALLED_WINDOW) {
                late.removeFirst();
            }
        }
        return status();
    }

    public Status status() {
        if (recent.size() < window) {
            return Status.HEALTHY;
        }
        if (meanBatchEntropy() < ONE_PROTOTYPE_BELOW * lnK) {
            return Status.ONE_PROTOTYPE;
        }
        if (meanEntropy() > UNIFORM_ABOVE * lnK || Math.abs(meanLoss() - lnK) < LOSS_AT_LN_K_WITHIN * lnK) {
            return Status.UNIFORM;
        }
        if (late.size() >= STALLED_WINDOW && mean(late, TrainingReport::teacherEntropy) > STALLED_ABOVE * lnK
                && mean(late, TrainingReport::loss) > STALLED_ABOVE * lnK) {
            return Status.STALLED;
        }
        return Status.HEALTHY;
    }

    /** A warning that says what is happening and what to try, or "" when healthy. */
    public String explain() {
        return switch (status()) {
            case HEALTHY -> "";
            case ONE_PROTOTYPE -> String.format(
                    "DINO is collapsing onto one prototype: the batch-mean teacher target has entropy %.3f"
                            + " (ln K = %.2f). Sharpening dominates centering; try a higher --train.teacher-temp,"
                            + " a lower --train.center-momentum, or a lower --train.lr.", meanBatchEntropy(), lnK);
            case UNIFORM -> String.format(
                    "DINO is collapsing to uniform targets: teacher entropy %.3f and loss %.3f against ln K = %.2f."
                            + " Centering dominates sharpening; try a lower --train.teacher-temp,"
                            + " --model.head-bn true, a lower --train.teacher-momentum or a smaller --model.out-dim.",
                    meanEntropy(), meanLoss(), lnK);
            case STALLED -> String.format(
                    "DINO is not learning: %d steps on, the teacher's targets are still near-uniform per image"
                            + " (entropy %.3f, loss %.3f over the last %d steps against ln K = %.2f; a healthy run is"
                            + " under half of ln K by now). Their batch-mean target has entropy %.3f: the targets"
                            + " carry %.2f nats about which image of a batch they belong to (ln B at most). Most often"
                            + " the stream comes in long runs of similar images, so every batch is one run and the"
                            + " center follows it: keep --replay.fraction high (0.9 by default: replay mixes stored"
                            + " images into every batch) and --replay.max-lag on (a job behind its stream then skips"
                            + " ahead, and its buffer samples the whole stream), or shuffle the input.",
                    late.getLast().step() + 1, mean(late, TrainingReport::teacherEntropy),
                    mean(late, TrainingReport::loss), late.size(), lnK,
                    mean(late, TrainingReport::teacherBatchEntropy),
                    mean(late, TrainingReport::teacherBatchEntropy) - mean(late, TrainingReport::teacherEntropy));
        };
    }

    private static double mean(Deque<TrainingReport> reports, java.util.function.ToDoubleFunction<TrainingReport> f) {
        return reports.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private double meanEntropy() {
        return recent.stream().mapToDouble(TrainingReport::teacherEntropy).average().orElse(Double.NaN);
    }

    private double meanBatchEntropy() {
        return recent.stream().mapToDouble(TrainingReport::teacherBatchEntropy).average().orElse(Double.NaN);
    }

    private double meanLoss() {
        return recent.stream().mapToDouble(TrainingReport::loss).average().orElse(Double.NaN);
    }
}
