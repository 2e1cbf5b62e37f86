package io.dinostream.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded broker: topics, a real producer and consumer, and restarts in one JVM. */
final class EmbeddedKafkaTest {

    @TempDir Path dir;

    @Test
    void producesAndConsumesThroughARealBrokerAndStartsTwice() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("first"))) {
            kafka.createTopic("images", 2);
            kafka.createTopic("images", 2); // idempotent
            try (Admin admin =
                    Admin.create(
                            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                assertEquals(
                        2,
                        admin.describeTopics(Set.of("images"))
                                .allTopicNames()
                                .get()
                                .get("images")
                                .partitions()
                                .size());
            }
            roundTrip(kafka, "images", 100);
        }
        // Sequentially, a second broker in the same JVM (fresh folder).
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("second"))) {
            kafka.createTopic("again", 1);
            roundTrip(kafka, "again", 10);
        }
    }

    @Test
    void restartsOnTheSameFolderKeepingTopicsAndRecords() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            kafka.createTopic("kept", 1);
            produce(kafka, "kept", 5);
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            kafka.createTopic("kept", 1);
            assertEquals(5, consume(kafka, "kept", 5).size());
        }
    }

    @Test
    void aFiveMegabyteImageIsTakenAndReadBackWhenTheJobAcceptsTwentyMebibytes() throws Exception {
        byte[] photo = new byte[5_400_000]; // the JPEG from the bug report was 5.4 MB
        new java.util.Random(7).nextBytes(photo);
        int limit = EmbeddedKafka.messageLimitFor(20L * 1024 * 1024); // the job's --ingest.max-bytes default
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0, limit)) {
            kafka.createTopic("photos", 1);
            Map<String, Object> producerConfig = Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG, limit);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig)) {
                producer.send(new ProducerRecord<>("photos", "key-0", photo)).get(); // throws if the broker refuses
            }
            List<ConsumerRecord<String, byte[]>> records = consume(kafka, "photos", 1);
            assertEquals(1, records.size());
            assertTrue(java.util.Arrays.equals(photo, records.get(0).value()), "the same 5.4 MB came back");
        }
    }

    private static void roundTrip(EmbeddedKafka kafka, String topic, int count) {
        produce(kafka, topic, count);
        List<ConsumerRecord<String, byte[]>> records = consume(kafka, topic, count);
        assertEquals(count, records.size());
        Set<String> keys = new HashSet<>();
        Set<Integer> partitions = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            keys.add(r.key());
            partitions.add(r.partition());
            assertEquals("image-" + r.key().substring(4), new String(r.value(), StandardCharsets.UTF_8));
        }
        assertEquals(count, keys.size(), "every record exactly once");
        if (topic.equals("images")) {
            assertEquals(Set.of(0, 1), partitions, "records spread over both partitions");
        }
    }

    private static void produce(EmbeddedKafka kafka, String topic, int count) {
        Map<String, Object> config =
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.LINGER_MS_CONFIG, 0);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
            for (int i = 0; i < count; i++) {
                producer.send(
                        new ProducerRecord<>(
                                topic, "key-" + i, ("image-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    private static List<ConsumerRecord<String, byte[]>> consume(
            EmbeddedKafka kafka, String topic, int count) {
        Map<String, Object> config =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG, "test-" + topic,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertTrue(records.size() >= count, "consumed only " + records.size() + " of " + count);
        return records;
    }
}
