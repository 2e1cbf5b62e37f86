package io.dinostream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.dinostream.datasets.SyntheticSource;
import io.dinostream.ingest.DecoderFixtures;
import io.dinostream.local.EmbeddedKafka;
import io.dinostream.local.EmbeddedS3;
import io.dinostream.monitor.HoldOutProbes;
import io.dinostream.proto.DeadLetter.Reason;
import io.dinostream.proto.DeadLetter;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.Latest;
import io.dinostream.publish.Manifest;
import io.dinostream.publish.ObjectStore;
import io.dinostream.publish.S3ObjectStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No field of an event can fail the job: events with extreme field sizes and seeded random
 * mutations of valid ImageEvent bytes run through the production graph (embedded Kafka and S3,
 * checkpoints on, restarts off so that one failed task fails the run), and every record is
 * accounted for as trained on, held out for the monitor or dead-lettered.
 */
class PoisonEventsTest {

    private static final int GOOD = 40;
    private static final int MUTANTS = 60;
    /** Ids up to this many bytes are accepted, so 70 KiB ids reach the serializers and the state. */
    private static final int MAX_ID_BYTES = 100_000;
    private static final String LONG_ID = "id-".repeat(70 * 1024 / 3);

    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static EmbeddedS3 s3;
    /** Every record produced, by key, as sent (null value for the tombstone). */
    static final Map<String, byte[]> produced = new LinkedHashMap<>();
    /** What must become of the records with extreme fields. */
    static final Map<String, Reason> expectedDead = new LinkedHashMap<>();
    static String heldOutLongId;

    @BeforeAll
    static void startServicesAndProduce() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        s3 = EmbeddedS3.start(dir);
        kafka.createTopic("images", 1);
        kafka.createTopic("dead", 1);
        try (SyntheticSource images = new SyntheticSource(24, 4, 11)) {
            List<ImageEvent> valid = new ArrayList<>();
            for (int i = 0; i < GOOD; i++) {
                ImageEvent e = images.next();
                valid.add(e);
                produced.put("good-" + i, e.toByteArray());
            }
            ImageEvent base = images.next();
            // Extreme sizes within the (raised) id limit: one held out for the monitor, so it crosses
            // the network to the ProbeMonitor, one trained on, so it sits in the trainer's state.
            heldOutLongId = LONG_ID;
            for (int n = 0; !HoldOutProbes.isHeldOut(heldOutLongId, base.getLabel(),
                    Double.parseDouble(StreamingJobTest.HOLD_OUT)); n++) {
                heldOutLongId = LONG_ID + n;
            }
            produced.put("long-id-held-out", base.toBuilder().setId(heldOutLongId).build().toByteArray());
            produced.put("long-id-trained", base.toBuilder().setId(LONG_ID + "t").clearLabel().build().toByteArray());
            // Over a limit: dead letters, each with its reason.
            dead("id-over-limit", base.toBuilder().setId("i".repeat(MAX_ID_BYTES + 1)), Reason.FIELD_TOO_LONG);
            dead("long-source", base.toBuilder().setSource("s".repeat(70_000)), Reason.FIELD_TOO_LONG);
            dead("long-label", base.toBuilder().setLabel("l".repeat(70_000)), Reason.FIELD_TOO_LONG);
            ImageEvent.Builder many = base.toBuilder();
            for (int a = 0; a < 1000; a++) {
                many.putAttributes("k" + a, "v");
            }
            dead("many-attributes", many, Reason.FIELD_TOO_LONG);
            dead("long-attribute-key", base.toBuilder().putAttributes("k".repeat(70_000), "v"), Reason.FIELD_TOO_LONG);
            dead("long-attribute-value", base.toBuilder().putAttributes("k", "v".repeat(70_000)), Reason.FIELD_TOO_LONG);
            dead("cmyk-jpeg", base.toBuilder().setEncoding(ImageEvent.Encoding.JPEG).setWidth(0).setHeight(0)
                    .setData(ByteString.copyFrom(DecoderFixtures.fourComponentJpeg(24, 24, 0))),
                    Reason.UNSUPPORTED_COLOR_SPACE);
            // A 3 MB image that does not decode: its dead letter would carry all of it, over the
            // dead-letter producer's 1 MB request limit, unless the dead letter keeps only a prefix.
            byte[] bigGarbage = new byte[3 << 20];
            new Random(7).nextBytes(bigGarbage);
            bigGarbage[0] = (byte) 0xFF;
            bigGarbage[1] = (byte) 0xD8;
            dead("big-undecodable-jpeg", base.toBuilder().setEncoding(ImageEvent.Encoding.JPEG).setWidth(0).setHeight(0)
                    .setData(ByteString.copyFrom(bigGarbage)), Reason.UNDECODABLE_IMAGE);
            produced.put("tombstone", null);
            expectedDead.put("tombstone", Reason.NULL_RECORD);
            produced.put("empty-record", new byte[0]);
            expectedDead.put("empty-record", Reason.EMPTY_RECORD);
            // Seeded random bit flips and truncations of valid events. Half the flips land in the
            // first 32 bytes (tags, id, source, encoding, sizes), so that some mutants still parse and
            // decode and go on through the graph; flips in a PNG's pixels mostly break its checksums.
            Random random = new Random(20240513L);
            for (int i = 0; i < MUTANTS; i++) {
                byte[] bytes = valid.get(random.nextInt(valid.size())).toByteArray();
                if (random.nextInt(4) == 0) {
                    bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length));
                }
                for (int flips = random.nextInt(3); flips >= 0 && bytes.length > 0; flips--) {
                    int at = random.nextInt(random.nextBoolean() ? Math.min(32, bytes.length) : bytes.length);
                    bytes[at] ^= (byte) (1 << random.nextInt(8));
                }
                produced.put("mutant-" + i, bytes);
            }
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(8 << 20));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (Map.Entry<String, byte[]> record : produced.entrySet()) {
                producer.send(new ProducerRecord<>("images", record.getKey().getBytes(StandardCharsets.UTF_8),
                        record.getValue())).get();
            }
        }
    }

    private static void dead(String key, ImageEvent.Builder event, Reason reason) {
        produced.put(key, event.build().toByteArray());
        expectedDead.put(key, reason);
    }

    @AfterAll
    static void stopServices() throws Exception {
        s3.close();
        kafka.close();
    }

    @Test
    void extremeAndMutatedEventsNeverFailTheJobAndEveryRecordIsAccountedFor() throws Exception {
        JobConfig config = StreamingJobTest.config(kafka, s3, "poison").with(Map.of(
                "ingest.max-id-bytes", Integer.toString(MAX_ID_BYTES),
                "flink.checkpoint-interval-ms", "300",
                "flink.checkpoint-dir", dir.resolve("flink-checkpoints").toUri().toString()));
        Configuration noRestarts = new Configuration();
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, noRestarts);
        DinoStreamJob.configure(env, config.flink());
        DinoStreamJob.build(env, config, DinoStreamJob.kafkaEnds(config));

        JobClient job = env.executeAsync("PoisonEventsTest");
        Set<JobStatus> seen = EnumSet.noneOf(JobStatus.class);
        long deadline = System.currentTimeMillis() + 120_000;
        while (!job.getJobExecutionResult().isDone() && System.currentTimeMillis() < deadline) {
            try {
                seen.add(job.getJobStatus().get());
            } catch (IllegalStateException | java.util.concurrent.ExecutionException finishing) {
                break; // the per-job MiniCluster shuts down as the job ends
            }
            Thread.sleep(50);
        }
        job.getJobExecutionResult().get(30, java.util.concurrent.TimeUnit.SECONDS); // throws if the job failed
        seen.removeAll(EnumSet.of(JobStatus.INITIALIZING, JobStatus.CREATED, JobStatus.RUNNING, JobStatus.FINISHED));
        assertTrue(seen.isEmpty(), "the job stayed RUNNING until it finished, never " + seen);

        Map<String, DeadLetter> letters = StreamingJobTest.deadLetters(kafka, expectedDead.size());
        expectedDead.forEach((key, reason) -> {
            assertTrue(letters.containsKey(key), key + " is dead-lettered");
            assertEquals(reason, letters.get(key).getReason(), key + ": " + letters.get(key).getMessage());
        });
        assertTrue(letters.get("id-over-limit").getMessage().contains("ingest.max-id-bytes"));
        assertEquals(MAX_ID_BYTES, letters.get("id-over-limit").getEventId().length(),
                "the dead letter carries the id cut to the limit");
        DeadLetter big = letters.get("big-undecodable-jpeg");
        byte[] bigValue = produced.get("big-undecodable-jpeg");
        assertEquals(262_144, big.getOriginalValue().size(), "a dead letter keeps the first 256 KiB by default");
        assertEquals(bigValue.length, big.getOriginalValueSize());
        assertTrue(Arrays.equals(Arrays.copyOf(bigValue, 262_144), big.getOriginalValue().toByteArray()));
        assertTrue(big.getMessage().contains("keeps the first 262144 of the record's " + bigValue.length + " bytes"),
                big.getMessage());
        DeadLetter small = letters.get("cmyk-jpeg");
        assertEquals(small.getOriginalValueSize(), small.getOriginalValue().size(), "a small record is kept whole");
        assertTrue(produced.keySet().containsAll(letters.keySet()), "dead letters come from produced records only");

        long heldOut = 0;
        long trainable = 0;
        for (Map.Entry<String, byte[]> record : produced.entrySet()) {
            if (letters.containsKey(record.getKey())) {
                assertNotEquals(Reason.REASON_UNSPECIFIED, letters.get(record.getKey()).getReason());
                continue;
            }
            ImageEvent event = parsed(record.getKey(), record.getValue());
            if (HoldOutProbes.isHeldOut(event.getId(), event.getLabel(), Double.parseDouble(StreamingJobTest.HOLD_OUT))) {
                heldOut++;
            } else {
                trainable++;
            }
        }
        assertTrue(!letters.containsKey("long-id-held-out") && !letters.containsKey("long-id-trained"),
                "70 KiB ids within the configured limit are used, not dead-lettered");
        assertTrue(MUTANTS > letters.keySet().stream().filter(k -> k.startsWith("mutant-")).count(),
                "some mutants still parse and decode, so they reach the serializers and the trainer");

        long trained = imagesSeenAtTheEnd();
        assertEquals(trainable, trained, "every record neither dead-lettered nor held out is trained on");
        assertEquals(produced.size(), trained + heldOut + letters.size(),
                "produced = trained on + held out for the monitor + dead-lettered");
    }

    /** A record that was not dead-lettered must be an ImageEvent. */
    private static ImageEvent parsed(String key, byte[] value) {
        try {
            return ImageEvent.parseFrom(value);
        } catch (InvalidProtocolBufferException | NullPointerException e) {
            throw new AssertionError(key + " is no ImageEvent but was not dead-lettered", e);
        }
    }

    /** New images trained on, by the last manifest: images seen less replays. */
    private static long imagesSeenAtTheEnd() throws Exception {
        try (ObjectStore store = new S3ObjectStore(s3.settings("ckpt", "poison"))) {
            String manifest = Latest.read(store).orElseThrow().manifest();
            Manifest m = Manifest.parse(store.get(manifest).orElseThrow(), manifest);
            // replay is on: replays are trained on too, and counted apart
            assertTrue(m.metrics().get("images_replayed") > 0, "the replay stage replayed: " + m.metrics());
            return m.imagesSeen() - m.metrics().get("images_replayed").longValue();
        }
    }
}
