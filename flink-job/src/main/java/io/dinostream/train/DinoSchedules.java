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
        long freezeLastLayerSteps) {

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

    /** The official hyper-parameters as per-step schedules over a horizon, for a stream. */
    public static DinoSchedules continual(
            long horizonSteps,
            int batchSize,
            double baseLr,
            long warmupSteps,
            long teacherTempWarmupSteps,
            long freezeLastLayerSteps,
            boolean restart) {
        return new DinoSchedules(
                new CosineSchedule(
                        baseLr * batchSize / 256.0, 1e-6, horizonSteps, warmupSteps, 0, restart),
                new CosineSchedule(0.04, 0.4, horizonSteps, 0, 0, restart),
                new CosineSchedule(0.996, 1.0, horizonSteps, 0, 0, restart),
                TeacherTemperature.perStep(0.04, 0.07, teacherTempWarmupSteps),
                freezeLastLayerSteps);
    }
}
