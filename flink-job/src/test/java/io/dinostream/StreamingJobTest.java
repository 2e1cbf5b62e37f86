package io.dinostream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import io.dinostream.datasets.SyntheticSource;
import io.dinostream.features.KnnClassifier;
import io.dinostream.features.KnnResult;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.ingest.DecoderFixtures;
import io.dinostream.ingest.ImageEncoding;
import io.dinostream.local.EmbeddedKafka;
import io.dinostream.local.EmbeddedS3;
import io.dinostream.model.ParameterFactory;
import io.dinostream.model.Safetensors;
import io.dinostream.monitor.HoldOutProbes;
import io.dinostream.monitor.ProbeScorer;
import io.dinostream.monitor.ProbeSet;
import io.dinostream.proto.DeadLetter;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.CheckpointPublisher;
import io.dinostream.publish.Latest;
import io.dinostream.publish.ObjectStore;
import io.dinostream.publish.S3ObjectStore;
import io.dinostream.train.StepWatchdog;
import io.dinostream.types.DecodedImage;
import io.dinostream.types.ModelSnapshot;
import io.dinostream.types.TrainingReport;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job on a Flink MiniCluster against an embedded Kafka broker and an embedded S3
 * server: a bounded topic of good and corrupt events in, checkpoints and dead letters out.
 */
class StreamingJobTest {

    private static final int GOOD = 200;
    private static final int BATCH = 16;

    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static EmbeddedS3 s3;
    static Map<String, DeadLetter.Reason> corrupt = new HashMap<>();
    /** What each corrupt record's dead letter must say, and the record as sent with its offset. */
    static Map<String, String> corruptExplanation = new HashMap<>();
    static Map<String, byte[]> corruptValue = new HashMap<>();
    static Map<String, Long> corruptOffset = new HashMap<>();
    /** The held-out good events' images in the order produced: the monitor's probes. */
    static List<DecodedImage> heldOutImages = new java.util.ArrayList<>();
    /** Good events the monitor holds out of training at {@link #HOLD_OUT} percent. */
    static int heldOut;
    /** Kafka offset of the last good event that is trained on (not held out). */
    static long lastTrainedOffset;
    static final String HOLD_OUT = "25";

    @BeforeAll
    static void startServicesAndProduce() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        s3 = EmbeddedS3.start(dir);
        kafka.createTopic("images", 1);
        kafka.createTopic("dead", 1);
        byte[] jpeg = ImageEncoding.jpeg(DecoderFixtures.noise(64, 48, 3), 0.9f);
        corrupt.put("bad-protobuf-1", DeadLetter.Reason.MALFORMED_EVENT);
        corrupt.put("bad-protobuf-2", DeadLetter.Reason.MALFORMED_EVENT);
        corrupt.put("truncated-jpeg", DeadLetter.Reason.UNDECODABLE_IMAGE);
        corrupt.put("empty", DeadLetter.Reason.EMPTY_IMAGE);
        corrupt.put("huge", DeadLetter.Reason.TOO_LARGE);
        corruptExplanation.put("bad-protobuf-1", "the record is not an ImageEvent protobuf message");
        corruptExplanation.put("bad-protobuf-2", "the record is not an ImageEvent protobuf message");
        corruptExplanation.put("truncated-jpeg", "the file was probably truncated, resend it whole");
        corruptExplanation.put("empty", "the event has no image bytes");
        corruptExplanation.put("huge", "over the 8192 px limit set by ingest.max-side");
        try (KafkaProducer<byte[], byte[]> producer = producer();
                SyntheticSource images = new SyntheticSource(24, 4, 7)) {
            for (int i = 0; i < GOOD; i++) {
                if (i == 10) {
                    sendCorrupt(producer, "bad-protobuf-1", new byte[] {(byte) 0xFF, (byte) 0xFF, 0x01, 0x02, 0x03});
                    sendCorrupt(producer, "truncated-jpeg", event("truncated-jpeg", ImageEvent.Encoding.JPEG,
                            Arrays.copyOf(jpeg, jpeg.length / 2)));
                }
                if (i == 50) {
                    sendCorrupt(producer, "empty", event("empty", ImageEvent.Encoding.PNG, new byte[0]));
                    sendCorrupt(producer, "huge", event("huge", ImageEvent.Encoding.PNG,
                            ImageEncoding.pngClaiming(100_000, 100_000)));
                }
                if (i == 120) {
                    sendCorrupt(producer, "bad-protobuf-2",
                            "not a protobuf at all, just text".getBytes(StandardCharsets.UTF_8));
                }
                ImageEvent e = images.next();
                long offset = send(producer, e.getId(), e.toByteArray());
                if (HoldOutProbes.isHeldOut(e.getId(), e.getLabel(), Double.parseDouble(HOLD_OUT))) {
                    heldOut++;
                    heldOutImages.add(new DecodedImage(e.getId(), null, ImageDecoder.decode(e, DecodeLimits.defaults()),
                            e.getLabel()));
                } else {
                    lastTrainedOffset = offset;
                }
            }
        }
    }

    @AfterAll
    static void stopServices() throws Exception {
        s3.close();
        kafka.close();
    }

    @Test
    void boundedRunTrainsPublishesCompleteCheckpointsAndDeadLettersEveryCorruptEvent() throws Exception {
        JobConfig config = config("run1");
        runToEnd(config, "StreamingJobTest");

        try (ObjectStore store = new S3ObjectStore(s3.settings("ckpt", "run1"))) {
            List<String> manifests = store.list("").stream().filter(k -> k.endsWith("manifest.json")).toList();
            assertTrue(lastStep() > 8 && lastStep() % 4 != 0, "the fixture trains past step 8, off the cadence: "
                    + lastStep());
            List<String> expected = new java.util.ArrayList<>();
            for (long step = 4; step < lastStep(); step += 4) {
                expected.add(folder(step) + "manifest.json");
            }
            expected.add(folder(lastStep()) + "manifest.json");
            assertEquals(expected, manifests, "checkpoints every 4 steps and at the end");
            for (String key : manifests) {
                JsonObject manifest = json(store.get(key).orElseThrow());
                String folder = key.substring(0, key.length() - "manifest.json".length());
                JsonObject files = manifest.getAsJsonObject("files");
                assertEquals(2, files.size());
                for (String name : files.keySet()) {
                    byte[] data = store.get(folder + name).orElseThrow();
                    JsonObject info = files.getAsJsonObject(name);
                    assertEquals(info.get("size").getAsLong(), data.length, folder + name + " size");
                    assertEquals(info.get("sha256").getAsString(), CheckpointPublisher.sha256(data), folder + name + " sha256");
                    assertTensorsMatchTheModel(config, Safetensors.read(data), folder + name);
                }
                assertTrue(manifest.getAsJsonObject("config").has("model.backbone"));
                assertEquals("***", manifest.getAsJsonObject("config").get("s3.secret-key").getAsString(),
                        "secrets never reach a manifest");
            }
            JsonObject latest = json(store.get(Latest.FILE).orElseThrow());
            assertEquals(lastStep(), latest.get("step").getAsLong());
            assertEquals(folder(lastStep()) + "manifest.json", latest.get("manifest").getAsString());
            JsonObject last = json(store.get(folder(lastStep()) + "manifest.json").orElseThrow());
            long replayed = last.getAsJsonObject("metrics").get("images_replayed").getAsLong();
            long trained = last.get("images_seen").getAsLong() - replayed;
            assertEquals(trained * REPLAYS_PER_IMAGE, replayed, "replay on: one replay per new image");

            Map<String, DeadLetter> letters = deadLetters(corrupt.size());
            assertEquals(corrupt.keySet(), letters.keySet());
            letters.forEach((key, letter) -> {
                assertEquals(corrupt.get(key), letter.getReason(), key + ": " + letter.getMessage());
                assertTrue(letter.getMessage().contains(corruptExplanation.get(key)), key + ": " + letter.getMessage());
                assertEquals("images", letter.getTopic());
                assertEquals(corruptOffset.get(key), letter.getOffset(), key + " offset");
                assertTrue(Arrays.equals(corruptValue.get(key), letter.getOriginalValue().toByteArray()),
                        key + ": the dead letter carries the record as sent");
            });
            assertTrue(heldOut >= ProbeScorer.MIN_PROBES, "the fixture holds out enough probes: " + heldOut);
            assertEquals(GOOD - heldOut, trained, "every good image is trained on, except the held-out probes");
            assertEquals(GOOD + corrupt.size(), trained + heldOut + letters.size(),
                    "produced = trained-on + held out for the monitor + dead-lettered");

            JsonObject evaluation = last.getAsJsonObject("evaluation");
            assertTrue(evaluation != null, "the final checkpoint carries the monitor's k-NN score: " + last);
            long probes = evaluation.get(ProbeScorer.SIZE).getAsLong();
            assertTrue(probes >= ProbeScorer.MIN_PROBES && probes <= heldOut, "probe images " + probes
                    + " of " + heldOut + " held out");
            // The probes are the first held-out images to reach the monitor, in the order produced.
            ProbeSet expectedProbes = new ProbeSet(heldOut, config.crops().policy().globalSize());
            heldOutImages.subList(0, (int) probes).forEach(expectedProbes::offer);
            KnnResult expectedScore = new ProbeScorer(config.model().spec(), config.crops().policy().globalSize())
                    .score(store.get(folder(lastStep()) + "teacher.safetensors").orElseThrow(), expectedProbes.probes());
            assertEquals(expectedScore.top1(), evaluation.get(ProbeScorer.TOP1).getAsDouble(),
                    "top-1 is the published teacher's score on the held-out probes");
            assertEquals(expectedScore.top5(), evaluation.get(ProbeScorer.TOP5).getAsDouble(),
                    "top-5 is the published teacher's score on the held-out probes");
            assertEquals(4.0, evaluation.get(ProbeScorer.CLASSES).getAsDouble(), "the synthetic fixture has 4 classes");
            assertEquals(KnnClassifier.DEFAULT_K, evaluation.get(ProbeScorer.K).getAsInt());
            assertEquals(lastTrainedOffset, last.getAsJsonObject("kafka_offsets").get("images/0").getAsLong(),
                    "the manifest records the last offset trained on");
        }
    }

    /** Fails the first time it is handed the snapshot of step 8, after checkpoints have completed. */
    static final class FailOnceAtStep8 implements Sink<ModelSnapshot> {
        private static final long serialVersionUID = 1L;
        static final AtomicBoolean FAILED = new AtomicBoolean();
        private final Sink<ModelSnapshot> delegate;

        FailOnceAtStep8(Sink<ModelSnapshot> delegate) {
            this.delegate = delegate;
        }

        @Override
        public SinkWriter<ModelSnapshot> createWriter(WriterInitContext context) throws java.io.IOException {
            SinkWriter<ModelSnapshot> writer = delegate.createWriter(context);
            return new SinkWriter<>() {
                @Override
                public void write(ModelSnapshot s, Context ctx) throws java.io.IOException, InterruptedException {
                    if (s.step() == 8 && FAILED.compareAndSet(false, true)) {
                        throw new java.io.IOException("injected failure at step 8");
                    }
                    writer.write(s, ctx);
                }

                @Override
                public void flush(boolean endOfInput) throws java.io.IOException, InterruptedException {
                    writer.flush(endOfInput);
                }

                @Override
                public void close() throws Exception {
                    writer.close();
                }
            };
        }
    }

    /** Keeps every training report, across restarts, in this JVM. */
    static final class CollectReports implements Sink<TrainingReport> {
        private static final long serialVersionUID = 1L;
        static final List<TrainingReport> REPORTS = new CopyOnWriteArrayList<>();

        @Override
        public SinkWriter<TrainingReport> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(TrainingReport r, Context ctx) {
                    REPORTS.add(r);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    @Test
    void aFailureAfterACheckpointResumesAtTheSavedStepAndEndsBitIdentical() throws Exception {
        JobConfig clean = config("clean");
        runToEnd(clean, "StreamingJobTest clean");

        JobConfig failing = config("restored").with(Map.of("flink.checkpoint-interval-ms", "200",
                "flink.checkpoint-dir", dir.resolve("flink-checkpoints").toUri().toString()));
        Configuration flink = new Configuration();
        flink.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
        flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        StreamExecutionEnvironment env2 = StreamExecutionEnvironment.createLocalEnvironment(1, flink);
        DinoStreamJob.configure(env2, failing.flink());
        DinoStreamJob.Ends ends = DinoStreamJob.kafkaEnds(failing);
        DinoStreamJob.build(env2, failing, new DinoStreamJob.Ends(ends.events(), ends.deadLetters(),
                new FailOnceAtStep8(ends.checkpoints()), new CollectReports()));
        env2.execute("StreamingJobTest restored");

        assertTrue(FailOnceAtStep8.FAILED.get(), "the failure was injected");
        List<Long> steps = CollectReports.REPORTS.stream().map(TrainingReport::step).toList();
        int restart = -1;
        for (int i = 1; i < steps.size(); i++) {
            if (steps.get(i) <= steps.get(i - 1)) {
                restart = i;
            }
        }
        assertTrue(restart > 0, "training restarted after the failure: " + steps);
        assertTrue(steps.get(restart) > 0, "resumed from a checkpoint, not from scratch: " + steps);
        assertEquals(lastStep() - 1, steps.get(steps.size() - 1), "finished all steps: " + steps);
        try (ObjectStore a = new S3ObjectStore(s3.settings("ckpt", "clean"));
                ObjectStore b = new S3ObjectStore(s3.settings("ckpt", "restored"))) {
            for (String file : List.of("teacher.safetensors", "student.safetensors")) {
                byte[] expected = a.get(folder(lastStep()) + file).orElseThrow();
                byte[] actual = b.get(folder(lastStep()) + file).orElseThrow();
                assertTrue(Arrays.equals(expected, actual), file + " after a restore differs from the uninterrupted run");
            }
            assertEquals(json(a.get(folder(lastStep()) + "manifest.json").orElseThrow()).get("images_seen"),
                    json(b.get(folder(lastStep()) + "manifest.json").orElseThrow()).get("images_seen"));
        }
    }

    /** Every step is over a 1 ms floor: the watchdog's thread fails the running task through Flink. */
    @Test
    void aStalledTrainingStepFailsTheJobWithTheWatchdogsMessage() {
        JobConfig config = config("stalled").with(Map.of("train.watchdog-factor", "0",
                "train.watchdog-floor-seconds", "0.001"));
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> runToEnd(config, "StreamingJobTest stalled"));
        Throwable cause = e;
        while (cause != null && !(cause instanceof StepWatchdog.StalledStepException)) {
            cause = cause.getCause();
        }
        assertTrue(cause != null, "the job failed because of the watchdog: " + e);
        assertTrue(cause.getMessage().startsWith("training step 0 has run for"), cause.getMessage());
        assertTrue(cause.getMessage().contains("restarts it from the last checkpoint"), cause.getMessage());
    }

    @Test
    void checkpointingWithoutDurableStorageIsRefusedWithAClearMessage() {
        JobConfig config = config("no-storage").with(Map.of("flink.checkpoint-interval-ms", "1000"));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> DinoStreamJob.configure(StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration()),
                        config.flink()));
        assertTrue(e.getMessage().contains("--flink.checkpoint-dir"), e.getMessage());
    }

    /**
     * A job that lags its stream: by their Kafka timestamps, end to end, records older than
     * --replay.max-lag go into the replay buffer only, and only the fresh ones are trained on as new.
     */
    @Test
    void recordsOlderThanTheLagLimitAreNotTrainedAsNewImages() throws Exception {
        kafka.createTopic("lagging", 1);
        long anHourAgo = System.currentTimeMillis() - 3_600_000;
        int freshTrained = 0;
        try (KafkaProducer<byte[], byte[]> producer = producer();
                SyntheticSource images = new SyntheticSource(24, 4, 11)) {
            for (int i = 0; i < 96; i++) {
                ImageEvent e = images.next();
                boolean stale = i % 2 == 0;
                producer.send(new ProducerRecord<>("lagging", 0, stale ? anHourAgo + i : null,
                        e.getId().getBytes(StandardCharsets.UTF_8), e.toByteArray())).get();
                if (!stale && !HoldOutProbes.isHeldOut(e.getId(), e.getLabel(), Double.parseDouble(HOLD_OUT))) {
                    freshTrained++;
                }
            }
        }
        runToEnd(config("lagging").with(Map.of("kafka.topics", "lagging", "replay.max-lag", "600")), "lagging");

        try (ObjectStore store = new S3ObjectStore(s3.settings("ckpt", "lagging"))) {
            JsonObject latest = json(store.get(Latest.FILE).orElseThrow());
            JsonObject last = json(store.get(latest.get("manifest").getAsString()).orElseThrow());
            long replayed = last.getAsJsonObject("metrics").get("images_replayed").getAsLong();
            long trained = last.get("images_seen").getAsLong() - replayed;
            assertTrue(freshTrained > 20, "the fixture trains on fresh images: " + freshTrained);
            assertEquals(freshTrained, trained, "only the fresh images are trained on as new");
            assertEquals(trained * REPLAYS_PER_IMAGE, replayed, "stale images buy no replays");
        }
    }

    /** Runs the production graph for config on a local MiniCluster until the bounded topic is done. */
    static void runToEnd(JobConfig config, String name) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
        DinoStreamJob.configure(env, config.flink());
        DinoStreamJob.build(env, config, DinoStreamJob.kafkaEnds(config));
        env.execute(name);
    }

    static JobConfig config(String prefix) {
        return config(kafka, s3, prefix);
    }

    /** The tiny model and bounded run of these tests, over topics images and dead of this broker. */
    static JobConfig config(EmbeddedKafka kafka, EmbeddedS3 s3, String prefix) {
        Map<String, String> c = new HashMap<>();
        c.put("kafka.bootstrap-servers", kafka.bootstrapServers());
        c.put("kafka.topics", "images");
        c.put("kafka.dead-letter-topic", "dead");
        c.put("kafka.bounded", "true");
        c.put("kafka.group-id", "it-" + prefix);
        c.put("crops.global-size", "16");
        c.put("crops.local-size", "8");
        c.put("crops.local-count", "2");
        c.put("model.width", "4");
        c.put("model.out-dim", "32");
        c.put("model.hidden-dim", "32");
        c.put("model.bottleneck-dim", "16");
        c.put("train.batch-size", Integer.toString(BATCH));
        c.put("publish.every-steps", "4");
        c.put("publish.every-seconds", "0");
        c.put("publish.uri", "s3://ckpt/" + prefix);
        c.put("s3.endpoint", s3.endpoint());
        c.put("s3.access-key", s3.accessKey());
        c.put("s3.secret-key", s3.secretKey());
        c.put("flink.checkpoint-interval-ms", "0");
        c.put("monitor.holdout-percent", HOLD_OUT);
        // Every good image is trained on, and a restored run repeats the original bit for bit: neither may
        // depend on how long this machine takes to start a job after the fixture was produced.
        c.put("replay.max-lag", "0");
        c.put("replay.fraction", "0.5");
        return JobConfig.of(c);
    }

    static void assertTensorsMatchTheModel(JobConfig config, Map<String, Safetensors.Tensor> tensors, String what) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> expected =
                    config.model().spec().build(new ParameterFactory(manager, DataType.FLOAT32, 0)).stateDict();
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(tensors.keySet()), what + " tensor names");
            expected.forEach((name, array) -> {
                assertTrue(Arrays.equals(array.getShape().getShape(), tensors.get(name).shape()), what + " " + name);
                assertEquals(array.getShape().size() * array.getDataType().getNumOfBytes(),
                        tensors.get(name).data().length, what + " " + name + " bytes");
            });
        }
    }

    private static Map<String, DeadLetter> deadLetters(int expected) throws Exception {
        return deadLetters(kafka, expected);
    }

    /** The dead letters on topic dead by original key, once expected have come and no more arrive. */
    static Map<String, DeadLetter> deadLetters(EmbeddedKafka kafka, int expected) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-dead-letters");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Map<String, DeadLetter> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of("dead"));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.put(new String(r.key(), StandardCharsets.UTF_8), DeadLetter.parseFrom(r.value()));
                }
            }
            // nothing more arrives
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                out.put(new String(r.key(), StandardCharsets.UTF_8), DeadLetter.parseFrom(r.value()));
            }
        }
        return out;
    }

    private static byte[] event(String id, ImageEvent.Encoding encoding, byte[] data) {
        return ImageEvent.newBuilder().setId(id).setEncoding(encoding).setData(ByteString.copyFrom(data)).build().toByteArray();
    }

    /** A producer of byte keys and values to the embedded broker. */
    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private static void sendCorrupt(KafkaProducer<byte[], byte[]> producer, String key, byte[] value) throws Exception {
        corruptValue.put(key, value);
        corruptOffset.put(key, send(producer, key, value));
    }

    private static long send(KafkaProducer<byte[], byte[]> producer, String key, byte[] value) throws Exception {
        return producer.send(new ProducerRecord<>("images", key.getBytes(StandardCharsets.UTF_8), value)).get().offset();
    }

    /**
     * Replays the replay stage sends per new image at --replay.fraction 0.5 (these tests' setting; the
     * default's nine would make each run five times longer): exactly one after each, so the trainer gets
     * twice the new images.
     */
    static final int REPLAYS_PER_IMAGE = 1;

    /**
     * Steps of a run over the fixture: every trained image once and its replay, the last batch
     * possibly short.
     */
    static long lastStep() {
        return ((GOOD - heldOut) * (1L + REPLAYS_PER_IMAGE) + BATCH - 1) / BATCH;
    }

    static String folder(long step) {
        return CheckpointPublisher.folder(step);
    }

    private static JsonObject json(byte[] bytes) {
        return JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8)).getAsJsonObject();
    }
}
