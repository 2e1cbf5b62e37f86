package io.dinostream.train;

import java.util.Map;

/**
 * The trainer's models at one step, ready to publish: teacher and student as safetensors bytes
 * (backbone + head, torchvision / official names), with what explains them: step, images seen,
 * training metrics and the last Kafka offset trained on per partition ("topic/partition").
 */
public record ModelSnapshot(
        long step,
        long imagesSeen,
        long createdAtMillis,
        byte[] teacher,
        byte[] student,
        Map<String, Double> metrics,
        Map<String, Long> kafkaOffsets,
        boolean isFinal) {

    public ModelSnapshot {
        metrics = Map.copyOf(metrics);
        kafkaOffsets = Map.copyOf(kafkaOffsets);
    }
}
