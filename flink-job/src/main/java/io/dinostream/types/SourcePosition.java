package io.dinostream.types;

/** Where an event was read: Kafka topic, partition and offset. */
public record SourcePosition(String topic, int partition, long offset) {

    @Override
    public String toString() {
        return topic + "/" + partition + "@" + offset;
    }
}
