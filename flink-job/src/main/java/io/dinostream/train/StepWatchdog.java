package io.dinostream.train;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Watches the training step in progress and reports it as stalled when it has run longer than
 * both {@code factor ×} the median of the recent steps and an absolute floor. A step can stall
 * where no exception ever comes: a native kernel that spins (oneDNN on some CPUs), a CPU limit
 * that throttles the task to a crawl, a noisy neighbour. Without a watchdog the job then looks
 * RUNNING and trains nothing; with it, the task fails with a message that says which step, for
 * how long, against which median, and Flink restarts from the last checkpoint.
 *
 * <p>A timer thread checks the step in progress; the step itself only marks its start and end.
 * Before any step has finished, the floor alone judges (the first step also compiles kernels).
 */
public final class StepWatchdog implements AutoCloseable {

    /** Recent step durations the median is taken over. */
    static final int WINDOW = 50;

    /**
     * When a step counts as stalled: longer than {@code factor ×} the recent median and longer
     * than {@code floorSeconds}. A floor of 0 turns the watchdog off.
     */
    public record Limits(double factor, double floorSeconds) implements Serializable {
        public Limits {
            if (!(factor >= 0) || !(floorSeconds >= 0)) {
                throw new IllegalArgumentException("watchdog factor and floor must be >= 0, got " + factor
                        + " and " + floorSeconds);
            }
        }

        public static Limits off() {
            return new Limits(0, 0);
        }

        public boolean enabled() {
            return floorSeconds > 0;
        }
    }

    /** The failure a stalled step raises: its message says what to look at. */
    public static final class StalledStepException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StalledStepException(String message) {
            super(message);
        }
    }

    private final Limits limits;
    private final Consumer<StalledStepException> onStall;
    private final LongSupplier clock;
    private final ScheduledExecutorService timer;
    private final long[] recent = new long[WINDOW];
    private int recorded;
    private long runningStep = -1;
    private long startedNanos;
    private boolean fired;
    private long stalls;

    /**
     * A watchdog whose own daemon thread checks the step in progress a few times per floor
     * period (at most once a second) and hands a stalled step to {@code onStall}, once per step.
     */
    public static StepWatchdog start(Limits limits, Consumer<StalledStepException> onStall) {
        return new StepWatchdog(limits, onStall, System::nanoTime, true);
    }

    /** A watchdog without a thread, checked by calling {@link #check()}; for tests with a clock. */
    static StepWatchdog manual(Limits limits, Consumer<StalledStepException> onStall, LongSupplier clock) {
        return new StepWatchdog(limits, onStall, clock, false);
    }

    private StepWatchdog(Limits limits, Consumer<StalledStepException> onStall, LongSupplier clock, boolean thread) {
        this.limits = limits;
        this.onStall = onStall;
        this.clock = clock;
        if (thread && limits.enabled()) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "dino-step-watchdog");
                t.setDaemon(true);
                return t;
            });
            long periodMillis = Math.max(10, Math.min(1000, (long) (limits.floorSeconds() * 1000 / 4)));
            timer.scheduleWithFixedDelay(this::check, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    /** Runs one training step under watch. */
    public <T> T watch(long step, Supplier<T> work) {
        begin(step);
        try {
            return work.get();
        } finally {
            end();
        }
    }

    synchronized void begin(long step) {
        runningStep = step;
        startedNanos = clock.getAsLong();
        fired = false;
    }

    synchronized void end() {
        long took = clock.getAsLong() - startedNanos;
        recent[recorded % WINDOW] = took;
        recorded++;
        runningStep = -1;
    }

    /** Checks the step in progress now; reports it at most once if it is stalled. */
    public void check() {
        StalledStepException stalled;
        synchronized (this) {
            if (!limits.enabled() || runningStep < 0 || fired) {
                return;
            }
            long elapsed = clock.getAsLong() - startedNanos;
            if (elapsed <= limitNanos()) {
                return;
            }
            fired = true;
            stalls++;
            stalled = new StalledStepException(explain(runningStep, elapsed));
        }
        onStall.accept(stalled);
    }

    private String explain(long step, long elapsedNanos) {
        long median = medianNanos();
        String against = median > 0
                ? String.format(Locale.ROOT, "%.0f× the median %.3f s of the last %d steps", elapsedNanos / (double) median,
                        median / 1e9, Math.min(recorded, WINDOW))
                : "no step has finished yet";
        return String.format(Locale.ROOT,
                "training step %d has run for %.1f s (%s; the limit is the larger of %s× the median and %s s). The trainer"
                        + " is stalled: likely a native kernel that hangs (libtorch/oneDNN on this CPU), a CPU limit that"
                        + " throttles the task, or a noisy neighbour. Failing the task so Flink restarts it from the last"
                        + " checkpoint; the limits are --train.watchdog-factor and --train.watchdog-floor-seconds",
                step, elapsedNanos / 1e9, against, trim(limits.factor()), trim(limits.floorSeconds()));
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private long limitNanos() {
        long floor = (long) (limits.floorSeconds() * 1e9);
        return Math.max(floor, (long) (limits.factor() * medianNanos()));
    }

    private synchronized long medianNanos() {
        int n = Math.min(recorded, WINDOW);
        if (n == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(recent, n);
        Arrays.sort(sorted);
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Seconds the step in progress has run, 0 between steps (a gauge). */
    public synchronized double currentStepSeconds() {
        return runningStep < 0 ? 0 : (clock.getAsLong() - startedNanos) / 1e9;
    }

    /** Median of the recent steps in seconds, 0 before the first (a gauge). */
    public double medianStepSeconds() {
        return medianNanos() / 1e9;
    }

    /** Seconds after which the step in progress counts as stalled, 0 when off (a gauge). */
    public synchronized double limitSeconds() {
        return limits.enabled() ? limitNanos() / 1e9 : 0;
    }

    /** Steps reported as stalled by this watchdog. */
    public synchronized long stalls() {
        return stalls;
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
