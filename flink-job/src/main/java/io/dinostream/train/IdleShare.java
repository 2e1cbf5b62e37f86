package io.dinostream.train;

/**
 * The share of wall time the trainer spent outside its steps, over rolling windows of a few
 * seconds: waiting for crops, mostly. The trainer should be the pipeline's bottleneck, so this stays
 * near 0 when decode and multi-crop keep up; a trainer that starves shows it here (the aim: under
 * 0.1 with {@code --crops.parallelism} set to the cores the trainer leaves). Gauge {@code idleShare}
 * and the progress line; NaN until a window has closed. The first window starts when the first step
 * does, so start-up is not counted as idle.
 */
final class IdleShare {

    private final long windowNanos;
    private long windowStart = Long.MIN_VALUE;
    private double busySeconds;
    private volatile double share = Double.NaN; // read by the metrics thread

    IdleShare(double windowSeconds) {
        this.windowNanos = (long) (windowSeconds * 1e9);
    }

    /** Counts a step that took {@code stepSeconds} and ended at {@code nowNanos} (System.nanoTime). */
    void stepEnded(long nowNanos, double stepSeconds) {
        if (windowStart == Long.MIN_VALUE) {
            windowStart = nowNanos - (long) (stepSeconds * 1e9);
        }
        busySeconds += stepSeconds;
        long elapsed = nowNanos - windowStart;
        if (elapsed >= windowNanos) {
            share = Math.min(1, Math.max(0, 1 - busySeconds / (elapsed / 1e9)));
            windowStart = nowNanos;
            busySeconds = 0;
        }
    }

    /** The last closed window's idle share in [0, 1], or NaN before the first closes. */
    double value() {
        return share;
    }
}
