package io.dinostream.types;

import java.util.Objects;

/**
 * What one {@code DinoTrainer.step} did, with the schedule values it used (the names of
 * main_dino.train_one_epoch's metric logger). Immutable; built by name with {@link #builder()},
 * so no two of its many numbers can be passed in each other's place.
 *
 * <ul>
 *   <li>{@code step}: the step's 0-based index (the schedules' "it")
 *   <li>{@code applied}: false when the loss or a gradient was not finite and the model was left
 *       unchanged
 *   <li>{@code loss}: the DINO loss (NaN or infinite when not applied)
 *   <li>{@code lr}, {@code weightDecay}, {@code teacherMomentum}, {@code teacherTemp}: the
 *       schedules' values at this step
 *   <li>{@code teacherEntropy}: mean entropy of the teacher's target distributions, in nats: near 0
 *       when one prototype wins every image, near ln K when the targets are uniform
 *   <li>{@code teacherBatchEntropy}: entropy of the batch-mean target distribution: near 0 when
 *       every image picks the same prototype (collapse)
 *   <li>{@code batchSize}: source images in the step
 *   <li>{@code imagesSeen}: source images trained on so far, this batch included when applied
 *   <li>{@code nonFiniteSteps}: steps skipped so far for a non-finite loss or gradient
 *   <li>{@code seconds}: wall time of the step
 * </ul>
 *
 * Numbers a report was not given are NaN (a skipped step has no entropies).
 */
public final class TrainingReport {

    private final long step;
    private final boolean applied;
    private final double loss;
    private final double lr;
    private final double weightDecay;
    private final double teacherMomentum;
    private final double teacherTemp;
    private final double teacherEntropy;
    private final double teacherBatchEntropy;
    private final int batchSize;
    private final long imagesSeen;
    private final long nonFiniteSteps;
    private final double seconds;

    private TrainingReport(Builder b) {
        this.step = b.step;
        this.applied = b.applied;
        this.loss = b.loss;
        this.lr = b.lr;
        this.weightDecay = b.weightDecay;
        this.teacherMomentum = b.teacherMomentum;
        this.teacherTemp = b.teacherTemp;
        this.teacherEntropy = b.teacherEntropy;
        this.teacherBatchEntropy = b.teacherBatchEntropy;
        this.batchSize = b.batchSize;
        this.imagesSeen = b.imagesSeen;
        this.nonFiniteSteps = b.nonFiniteSteps;
        this.seconds = b.seconds;
    }

    /** A report to fill in by name; {@code step}, {@code applied}, {@code batchSize} and {@code imagesSeen} are required. */
    public static Builder builder() {
        return new Builder();
    }

    public long step() {
        return step;
    }

    public boolean applied() {
        return applied;
    }

    public double loss() {
        return loss;
    }

    public double lr() {
        return lr;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public double teacherMomentum() {
        return teacherMomentum;
    }

    public double teacherTemp() {
        return teacherTemp;
    }

    public double teacherEntropy() {
        return teacherEntropy;
    }

    public double teacherBatchEntropy() {
        return teacherBatchEntropy;
    }

    public int batchSize() {
        return batchSize;
    }

    public long imagesSeen() {
        return imagesSeen;
    }

    public long nonFiniteSteps() {
        return nonFiniteSteps;
    }

    public double seconds() {
        return seconds;
    }

    /** Equal when every field is; doubles compare as records do (NaN equals NaN). */
    @Override
    public boolean equals(Object o) {
        return o instanceof TrainingReport r
                && step == r.step
                && applied == r.applied
                && same(loss, r.loss)
                && same(lr, r.lr)
                && same(weightDecay, r.weightDecay)
                && same(teacherMomentum, r.teacherMomentum)
                && same(teacherTemp, r.teacherTemp)
                && same(teacherEntropy, r.teacherEntropy)
                && same(teacherBatchEntropy, r.teacherBatchEntropy)
                && batchSize == r.batchSize
                && imagesSeen == r.imagesSeen
                && nonFiniteSteps == r.nonFiniteSteps
                && same(seconds, r.seconds);
    }

    private static boolean same(double a, double b) {
        return Double.compare(a, b) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(step, applied, loss, lr, weightDecay, teacherMomentum, teacherTemp, teacherEntropy,
                teacherBatchEntropy, batchSize, imagesSeen, nonFiniteSteps, seconds);
    }

    @Override
    public String toString() {
        return "TrainingReport[step=" + step + ", applied=" + applied + ", loss=" + loss + ", lr=" + lr
                + ", weightDecay=" + weightDecay + ", teacherMomentum=" + teacherMomentum + ", teacherTemp="
                + teacherTemp + ", teacherEntropy=" + teacherEntropy + ", teacherBatchEntropy="
                + teacherBatchEntropy + ", batchSize=" + batchSize + ", imagesSeen=" + imagesSeen
                + ", nonFiniteSteps=" + nonFiniteSteps + ", seconds=" + seconds + "]";
    }

    /** Fills a report field by field; {@link #build()} checks that the required ones were set. */
    public static final class Builder {
        private long step = -1;
        private Boolean applied;
        private double loss = Double.NaN;
        private double lr = Double.NaN;
        private double weightDecay = Double.NaN;
        private double teacherMomentum = Double.NaN;
        private double teacherTemp = Double.NaN;
        private double teacherEntropy = Double.NaN;
        private double teacherBatchEntropy = Double.NaN;
        private int batchSize = -1;
        private long imagesSeen = -1;
        private long nonFiniteSteps;
        private double seconds = Double.NaN;

        private Builder() {}

        public Builder step(long step) {
            this.step = step;
            return this;
        }

        public Builder applied(boolean applied) {
            this.applied = applied;
            return this;
        }

        public Builder loss(double loss) {
            this.loss = loss;
            return this;
        }

        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public Builder teacherMomentum(double teacherMomentum) {
            this.teacherMomentum = teacherMomentum;
            return this;
        }

        public Builder teacherTemp(double teacherTemp) {
            this.teacherTemp = teacherTemp;
            return this;
        }

        public Builder teacherEntropy(double teacherEntropy) {
            this.teacherEntropy = teacherEntropy;
            return this;
        }

        public Builder teacherBatchEntropy(double teacherBatchEntropy) {
            this.teacherBatchEntropy = teacherBatchEntropy;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder imagesSeen(long imagesSeen) {
            this.imagesSeen = imagesSeen;
            return this;
        }

        public Builder nonFiniteSteps(long nonFiniteSteps) {
            this.nonFiniteSteps = nonFiniteSteps;
            return this;
        }

        public Builder seconds(double seconds) {
            this.seconds = seconds;
            return this;
        }

        /**
         * The report.
         *
         * @throws IllegalStateException when step, applied, batchSize or imagesSeen was not set,
         *     or a count is negative
         */
        public TrainingReport build() {
            if (step < 0 || applied == null || batchSize < 0 || imagesSeen < 0) {
                throw new IllegalStateException("a training report needs step, applied, batchSize and imagesSeen"
                        + " (got step " + step + ", applied " + applied + ", batchSize " + batchSize
                        + ", imagesSeen " + imagesSeen + ")");
            }
            if (nonFiniteSteps < 0) {
                throw new IllegalStateException("nonFiniteSteps cannot be negative, got " + nonFiniteSteps);
            }
            return new TrainingReport(this);
        }
    }
}
