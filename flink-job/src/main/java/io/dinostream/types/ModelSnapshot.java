package io.dinostream.types;

import java.util.Map;

/**
 * The trainer's models at one step, ready to publish: teacher and student as safetensors bytes
 * (backbone + head, torchvision / official names), with what explains them: step, images seen,
 * training metrics, the last Kafka offset trained on per partition ("topic/partition"), and the
 * evaluation the probe monitor attached before publishing (empty when there is none).
 */
public record ModelSnapshot(
        long step,
        long imagesSeen,
        long createdAtMillis,
        byte[] teacher,
        byte[] student,
        Map<String, Double> metrics,
        Map<String, Long> kafkaOffsets,
        boolean isFinal,
        Map<String, Double> evaluation) {

    public ModelSnapshot {
        metrics = Map.copyOf(metrics);
        kafkaOffsets = Map.copyOf(kafkaOffsets);
        evaluation = Map.copyOf(evaluation);
    }

    /** A snapshot without evaluation, as the trainer emits it. */
    public ModelSnapshot(long step, long imagesSeen, long createdAtMillis, byte[] teacher, byte[] student,
            Map<String, Double> metrics, Map<String, Long> kafkaOffsets, boolean isFinal) {
        this(step, imagesSeen, createdAtMillis, teacher, student, metrics, kafkaOffsets, isFinal, Map.of());
    }

    /** The same snapshot with this evaluation. */
    public ModelSnapshot withEvaluation(Map<String, Double> scores) {
        return new ModelSnapshot(step, imagesSeen, createdAtMillis, teacher, student, metrics, kafkaOffsets, isFinal,
                scores);
    }
}
