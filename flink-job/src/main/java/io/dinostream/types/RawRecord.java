package io.dinostream.types;

/**
 * A Kafka record as read, before anything is parsed, so that a record that fails to parse can go
 * to the dead-letter topic with its original bytes and position.
 */
public record RawRecord(byte[] key, byte[] value, String topic, int partition, long offset, long timestamp) {

    public SourcePosition position() {
        return new SourcePosition(topic, partition, offset);
    }
}
