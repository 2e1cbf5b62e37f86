package io.dinostream.ingest;

import io.dinostream.proto.DeadLetter;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Dead letters to their topic as DeadLetter protobuf, keyed by the original record's key. */
public final class DeadLetterRecords implements KafkaRecordSerializationSchema<DeadLetter> {

    private static final long serialVersionUID = 1L;

    private final String topic;

    public DeadLetterRecords(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter letter, KafkaSinkContext context, Long timestamp) {
        byte[] key = letter.getOriginalKey().isEmpty() ? null : letter.getOriginalKey().toByteArray();
        return new ProducerRecord<>(topic, null, timestamp, key, letter.toByteArray());
    }
}
