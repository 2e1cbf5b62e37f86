package io.dinostream.types;


/**
 * What one {@code DinoTrainer.step} did, with the schedule values it used (the names of
 * main_dino.train_one_epoch's metric logger).
 *
 * @param step the step's 0-based index (the schedules' "it")
 * @param applied false when the loss was not finite and the model was left unchanged
 * @param loss the DINO loss (NaN or infinite when not applied)
 * @param teacherEntropy mean entropy of the teacher's target distributions, in nats: near 0 when
 *     one prototype wins every image, near ln K when the targets are uniform
 * @param teacherBatchEntropy entropy of the batch-mean target distribution: near 0 when every
 *     image picks the same prototype (collapse)
 * @param imagesSeen source images trained on so far, this batch included
 * @param seconds wall time of the step
 */
public record TrainingReport(
        long step,
        boolean applied,
        double loss,
        double lr,
        double weightDecay,
        double teacherMomentum,
        double teacherTemp,
        double teacherEntropy,
        double teacherBatchEntropy,
        int batchSize,
        long imagesSeen,
        long nonFiniteSteps,
        double seconds) {}
