package io.dinostream.train;

/**
 * Everything in DINO that changes with the step (main_dino.train_dino): the learning rate, the
 * weight decay of regularised parameters, the teacher's EMA momentum λ, the teacher temperature,
 * and how many first steps keep the last head layer frozen.
 */
public record DinoSchedules(
        CosineSchedule lr,
        CosineSchedule weightDecay,
        CosineSchedule teacherMomentum,
        TeacherTemperature teacherTemp,
        long freezeLastLayerSteps) implements java.io.Serializable {

    /**
     * The official epoch-based schedules of main_dino.py, for {@code epochs} epochs of
     * {@code itersPerEpoch} steps; {@code lr} is the already-scaled peak (args.lr × batch / 256).
     */
    public static DinoSchedules official(
            int epochs,
            int itersPerEpoch,
            double lr,
            double minLr,
            int warmupEpochs,
            double weightDecay,
            double weightDecayEnd,
            double momentumTeacher,
            double warmupTeacherTemp,
            double teacherTemp,
            int warmupTeacherTempEpochs,
            int freezeLastLayerEpochs) {
        long total = (long) epochs * itersPerEpoch;
        return new DinoSchedules(
                new CosineSchedule(lr, minLr, total, (long) warmupEpochs * itersPerEpoch, 0, false),
                CosineSchedule.of(weightDecay, weightDecayEnd, total),
                CosineSchedule.of(momentumTeacher, 1.0, total),
                new TeacherTemperature(
                        warmupTeacherTemp, teacherTemp, warmupTeacherTempEpochs, itersPerEpoch),
                (long) freezeLastLayerEpochs * itersPerEpoch);
    }

    /** Per-step schedules for a stream, starting from the paper's values; see {@link Continual}. */
    public static Continual continual(long horizonSteps) {
        return new Continual(horizonSteps);
    }

    /**
     * Builder of continual-training schedules: every cosine runs over {@code horizonSteps} and then
     * holds its final value (or restarts). Defaults are the paper's (main_dino.py arguments): base
     * lr 5e-4 per 256 images, min lr 1e-6, weight decay 0.04 → 0.4, teacher momentum 0.996 → 1,
     * teacher temperature 0.04 → 0.07; warm-ups and the last-layer freeze default to 0 steps.
     */
    public static final class Continual {
        private final long horizonSteps;
        private int batchSize = 256;
        private double baseLr = 5e-4;
        private double minLr = 1e-6;
        private long warmupSteps;
        private double weightDecay = 0.04;
        private double weightDecayEnd = 0.4;
        private double momentum = 0.996;
        private double momentumEnd = 1.0;
        private double warmupTeacherTemp = 0.04;
        private double teacherTemp = 0.07;
        private long teacherTempWarmupSteps;
        private long freezeLastLayerSteps;
        private boolean restart;

        private Continual(long horizonSteps) {
            this.horizonSteps = horizonSteps;
        }

        /** Base lr per 256 images; the peak is baseLr × batch / 256 (linear scaling rule). */
        public Continual lr(double baseLr, int batchSize, double minLr, long warmupSteps) {
            this.baseLr = baseLr;
            this.batchSize = batchSize;
            this.minLr = minLr;
            this.warmupSteps = warmupSteps;
            return this;
        }

        public Continual weightDecay(double start, double end) {
            this.weightDecay = start;
            this.weightDecayEnd = end;
            return this;
        }

        /** The teacher's EMA momentum λ at step 0; it follows a cosine to 1. */
        public Continual teacherMomentum(double momentum) {
            return teacherMomentum(momentum, 1.0);
        }

        /** The teacher's EMA momentum λ: a cosine from {@code start} to {@code end} (paper: 1). */
        public Continual teacherMomentum(double start, double end) {
            this.momentum = start;
            this.momentumEnd = end;
            return this;
        }

        public Continual teacherTemp(double warmupTemp, double temp, long warmupSteps) {
            this.warmupTeacherTemp = warmupTemp;
            this.teacherTemp = temp;
            this.teacherTempWarmupSteps = warmupSteps;
            return this;
        }

        public Continual freezeLastLayer(long steps) {
            this.freezeLastLayerSteps = steps;
            return this;
        }

        /** Restart every cosine at the horizon instead of holding the final values. */
        public Continual restart(boolean restart) {
            this.restart = restart;
            return this;
        }

        public DinoSchedules build() {
            return new DinoSchedules(
                    new CosineSchedule(
                            baseLr * batchSize / 256.0, minLr, horizonSteps, warmupSteps, 0, restart),
                    new CosineSchedule(weightDecay, weightDecayEnd, horizonSteps, 0, 0, restart),
                    new CosineSchedule(momentum, momentumEnd, horizonSteps, 0, 0, restart),
                    TeacherTemperature.perStep(warmupTeacherTemp, teacherTemp, teacherTempWarmupSteps),
                    freezeLastLayerSteps);
        }
    }
}
