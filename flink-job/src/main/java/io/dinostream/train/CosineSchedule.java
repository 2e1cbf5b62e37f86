package io.dinostream.train;

/**
 * The official DINO per-step schedule (utils.cosine_scheduler): a linear warm-up from
 * {@code warmupStart} to {@code base} over {@code warmupSteps} steps (numpy linspace, end point
 * included), then a half cosine from {@code base} towards {@code end} over the rest of
 * {@code totalSteps}.
 *
 * <p>A stream has no last epoch, so {@code totalSteps} is a horizon: past it the schedule holds
 * {@code end} or, with {@code restart}, starts again from step 0 (warm-up included).
 */
public record CosineSchedule(
        double base,
        double end,
        long totalSteps,
        long warmupSteps,
        double warmupStart,
        boolean restart) implements java.io.Serializable {

    public CosineSchedule {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("schedule horizon must be >= 1 step, got " + totalSteps);
        }
        if (warmupSteps < 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException(
                    "warm-up of "
                            + warmupSteps
                            + " steps must lie within the schedule horizon of "
                            + totalSteps
                            + " steps");
        }
    }

    /** Cosine from base to end over totalSteps, no warm-up, holding end afterwards. */
    public static CosineSchedule of(double base, double end, long totalSteps) {
        return new CosineSchedule(base, end, totalSteps, 0, 0.0, false);
    }

    /** A schedule that is {@code value} at every step. */
    public static CosineSchedule constant(double value) {
        return of(value, value, 1);
    }

    /** The value at a 0-based training step. */
    public double valueAt(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        if (step >= totalSteps) {
            if (!restart) {
                return end;
            }
            step %= totalSteps;
        }
        if (step < warmupSteps) {
            if (warmupSteps == 1) {
                return warmupStart;
            }
            // numpy.linspace: start + i * delta, with the last point set to stop exactly.
            return step == warmupSteps - 1
                    ? base
                    : warmupStart + step * ((base - warmupStart) / (warmupSteps - 1));
        }
        long i = step - warmupSteps;
        long n = totalSteps - warmupSteps;
        return end + 0.5 * (base - end) * (1 + Math.cos(Math.PI * i / n));
    }
}
