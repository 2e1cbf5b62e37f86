package io.dinostream.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.local.EmbeddedKafka;
import io.dinostream.proto.ImageEvent;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code produce} against a real broker: what lands in the topic, and how failures end. */
final class ProduceCommandTest {

    @TempDir Path dir;

    @Test
    void sendsTheDatasetAsImageEventsKeyedByTheirIds() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            kafka.createTopic("frames", 2);

            int status = ProduceCommand.run(List.of("--bootstrap-servers", kafka.bootstrapServers(),
                    "--topic", "frames", "--dataset", "synthetic:3", "--limit", "25", "--rate", "0",
                    "--kafka.acks", "all"));

            assertEquals(0, status);
            List<ConsumerRecord<byte[], byte[]>> records = consume(kafka, "frames", 25);
            assertEquals(25, records.size());
            Set<String> ids = new HashSet<>();
            Set<String> labels = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> record : records) {
                ImageEvent event = ImageEvent.parseFrom(record.value());
                assertEquals(event.getId(), new String(record.key(), StandardCharsets.UTF_8));
                assertTrue(event.getData().size() > 0, "image bytes");
                ids.add(event.getId());
                labels.add(event.getLabel());
            }
            assertEquals(25, ids.size(), "every image once");
            assertEquals(3, labels.size(), "synthetic:3 has three classes: " + labels);
        }
    }

    @Test
    void unreachableBrokerEndsWithStatusOneInsteadOfHanging() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }

        int status = ProduceCommand.run(List.of("--bootstrap-servers", "127.0.0.1:" + closedPort,
                "--limit", "1", "--max-block-ms", "1000"));

        assertEquals(1, status);
    }

    @Test
    void kafkaNameThatIsNoProducerPropertyIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProduceCommand.run(
                List.of("--bootstrap-servers", "localhost:9092", "--kafka.acks.all", "1")));

        assertTrue(e.getMessage().contains("--kafka.acks.all is not a Kafka producer property"), e.getMessage());
    }

    @Test
    void datasetThatCannotBeOpenedFailsBeforeConnecting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProduceCommand.run(
                List.of("--bootstrap-servers", "localhost:9092", "--dataset", "pictures:/nowhere")));

        assertTrue(e.getMessage().contains("unknown image source"), e.getMessage());
    }

    @Test
    void missingBootstrapServersIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProduceCommand.run(List.of("--limit", "1")));

        assertTrue(e.getMessage().contains("--bootstrap-servers is required"), e.getMessage());
    }

    private static List<ConsumerRecord<byte[], byte[]>> consume(EmbeddedKafka kafka, String topic, int count) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                int before = records.size();
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
                if (records.size() == before && records.size() >= count) {
                    break; // one empty poll past count, so a duplicate would show
                }
            }
        }
        return records;
    }
}
