package io.dinostream.chaos;

import io.dinostream.JobConfig;
import io.dinostream.datasets.DatasetProducer;
import io.dinostream.local.EmbeddedKafka;
import io.dinostream.local.EmbeddedS3;
import io.dinostream.monitor.HoldOutProbes;
import io.dinostream.proto.DeadLetter;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.Latest;
import io.dinostream.publish.Manifest;
import io.dinostream.publish.ObjectStore;
import io.dinostream.publish.S3ObjectStore;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the job against an embedded Kafka broker and S3 server for a while and breaks things on
 * a schedule, one fault at a time: SIGKILL of the job's process and a restart, the object store
 * down, the broker down, a burst of poison events, a CPU hog beside the trainer. Then it drains
 * the job and checks what users are promised:
 * <ul>
 *   <li>every event produced is trained on, dead-lettered or held out for the monitor, exactly (or
 *       taken into a step the trainer skipped for a non-finite loss or gradient, which the
 *       manifest counts as {@code images_skipped});
 *   <li>a reader following {@code latest.json} never sees a partial checkpoint, and it never moves back;
 *   <li>after a kill the trainer resumes from a saved step, not from scratch;
 *   <li>after each fault a new checkpoint is published within {@code maxRecoverySeconds}.
 * </ul>
 */
public final class ChaosRun {

    static final String BUCKET = "dino-stream";
    static final String PREFIX = "checkpoints";
    static final String TOPIC = "images";
    static final String DEAD = "images-dead-letters";

    /** The faults, injected in the order given, again and again. */
    public enum Fault {
        KILL, STORE, BROKER, POISON, CPU;

        static Fault parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown fault '" + name + "': use kill, store, broker, poison or cpu");
            }
        }
    }

    /** What to run and how hard to push. */
    public record Options(double minutes, Path workdir, double faultEverySeconds, double faultSeconds, double rate,
            int poisonBurst, double maxRecoverySeconds, List<Fault> faults, Map<String, String> jobFlags) {}

    /** One injected fault: when it started and ended, when training published again, and after a kill the step restored. */
    public record Injected(Fault fault, double startSeconds, double endSeconds, double recoverySeconds, long restoredStep) {}

    /** The outcome: the figures and every violated promise (none when it passed). */
    public record Result(List<Injected> faults, long produced, long good, long heldOut, long poison, long trained,
            long skipped, long deadLetters, long lost, double longestStallSeconds, long checkpointsVerified, long latestReads,
            long finalStep, List<String> violations) {
        public boolean passed() {
            return violations.isEmpty();
        }
    }

    private final Options options;
    private final PrintStream out;
    private final long t0 = System.nanoTime();

    public ChaosRun(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public Result run() throws Exception {
        Path work = options.workdir().toAbsolutePath().normalize();
        Files.createDirectories(work);
        Path logs = Files.createDirectories(work.resolve("logs"));
        int kafkaPort = freePort();
        int s3Port = freePort();
        List<String> violations = new ArrayList<>();
        List<Injected> injected = new ArrayList<>();
        EmbeddedKafka kafka = EmbeddedKafka.start(work, kafkaPort);
        EmbeddedS3 s3 = EmbeddedS3.start(work, s3Port);
        JobProcess job = null;
        CheckpointAudit audit = null;
        Thread auditThread = null;
        AtomicBoolean stopProducing = new AtomicBoolean();
        Thread producer = null;
        try {
            kafka.createTopic(TOPIC, 1);
            kafka.createTopic(DEAD, 1);
            Map<String, String> flags = jobFlags(kafka, s3, work);
            JobConfig config = JobConfig.fromFlags(flags); // refuses bad options before anything starts
            double holdOut = config.monitor().heldOutPercent();
            List<String> args = new ArrayList<>();
            flags.forEach((k, v) -> args.addAll(List.of("--" + k, v)));

            ObjectStore store = new S3ObjectStore(s3.settings(BUCKET, PREFIX));
            audit = new CheckpointAudit(store);
            auditThread = new Thread(audit, "chaos-audit");
            auditThread.setDaemon(true);
            auditThread.start();

            Properties producerProps = producerProperties(kafka);
            DatasetProducer images = new DatasetProducer("synthetic", TOPIC, options.rate(), true, 0,
                    config.trainer().seed());
            producer = new Thread(() -> images.run(producerProps, stopProducing, new AtomicLong()), "chaos-producer");
            producer.setDaemon(true);
            producer.start();

            job = new JobProcess(args, logs);
            job.start();
            say("job started (log %s); waiting for its first checkpoint", logs.resolve("job-1.log"));
            CheckpointAudit reader = audit;
            if (!await(() -> reader.latestStep() >= 0, Duration.ofMinutes(5))) {
                throw new IllegalStateException("no checkpoint was published within 5 minutes of the start:\n" + job.tail(30));
            }
            long poisonSent = 0;
            long end = t0 + (long) (options.minutes() * 60e9);
            int next = 0;
            while (System.nanoTime() + (long) (options.faultEverySeconds() * 1e9) < end) {
                sleepSeconds(options.faultEverySeconds() - options.faultSeconds());
                keepAlive(job, violations);
                Fault fault = options.faults().get(next++ % options.faults().size());
                long start = System.nanoTime();
                long restored = -1;
                switch (fault) {
                    case KILL -> {
                        boolean hadCheckpoint = io.dinostream.DinoStreamJob.newestCheckpoint(
                                work.resolve("flink-checkpoints")).isPresent();
                        job.kill9();
                        say("kill -9 of the job's process (start %d)", job.starts());
                        job.start();
                        JobProcess j = job;
                        if (await(() -> j.restoredStep().isPresent(), Duration.ofMinutes(3))) {
                            restored = job.restoredStep().get();
                            say("restart %d restored the trainer at step %d", job.starts(), restored);
                            if (hadCheckpoint && restored <= 0) {
                                violations.add("after kill " + job.starts() + " the trainer started from step " + restored
                                        + " although a checkpoint was kept");
                            }
                        } else if (hadCheckpoint) {
                            violations.add("restart " + job.starts() + " did not restore the trainer within 3 minutes");
                        }
                    }
                    case STORE -> {
                        s3.close();
                        say("object store down for %.0f s", options.faultSeconds());
                        sleepSeconds(options.faultSeconds());
                        s3 = restart(() -> EmbeddedS3.start(work, s3Port));
                    }
                    case BROKER -> {
                        kafka.close();
                        say("Kafka broker down for %.0f s", options.faultSeconds());
                        sleepSeconds(options.faultSeconds());
                        kafka = restart(() -> EmbeddedKafka.start(work, kafkaPort));
                    }
                    case POISON -> {
                        poisonSent += sendPoison(kafka, poisonSent, options.poisonBurst());
                        say("%d poison events sent (%d so far)", options.poisonBurst(), poisonSent);
                    }
                    case CPU -> {
                        say("CPU hog: %d busy threads for %.0f s", Runtime.getRuntime().availableProcessors(),
                                options.faultSeconds());
                        hogCpu(options.faultSeconds());
                    }
                }
                injected.add(new Injected(fault, seconds(start), seconds(System.nanoTime()), Double.NaN, restored));
            }

            // The end: stop producing, let the job read everything, drain it, and count.
            stopProducing.set(true);
            producer.join(120_000);
            keepAlive(job, violations);
            long endOffset = endOffset(kafka, TOPIC);
            say("producer stopped at offset %d; waiting for the job to read everything", endOffset);
            JobProcess j = job;
            String[] jobId = new String[1];
            boolean caughtUp = await(() -> {
                Optional<String> id = j.jobId();
                id.ifPresent(v -> jobId[0] = v);
                return id.isPresent() && j.sourceOffset(id.get(), TOPIC, 0).orElse(-1L) >= endOffset - 1;
            }, Duration.ofMinutes(10));
            if (!caughtUp) {
                throw new IllegalStateException("the job did not read up to offset " + endOffset + " within 10 minutes:\n"
                        + job.tail(30));
            }
            int exit = job.drain(jobId[0], work.resolve("flink-savepoints"), Duration.ofMinutes(5));
            if (exit != 0) {
                violations.add("the drained job exited with " + exit);
            }
            audit.pollOnce();
            audit.stop();
            auditThread.join(5_000);

            // The count.
            Tally tally = tally(kafka, holdOut);
            Set<String> letters = deadLetters(kafka);
            Manifest last = finalManifest(store);
            // Replayed images (the replay stage sends stored images again) are trained on twice or
            // more; only the new ones count against what was produced.
            long trained = last.imagesSeen() - last.metrics().getOrDefault("images_replayed", 0.0).longValue();
            long skipped = last.metrics().getOrDefault("images_skipped", 0.0).longValue()
                    - last.metrics().getOrDefault("images_replayed_skipped", 0.0).longValue();
            if (skipped > 0) {
                say("%d images were in %d steps skipped for a non-finite loss or gradient (see the job logs in %s)",
                        skipped, last.metrics().getOrDefault("non_finite_steps", 0.0).longValue(), logs);
            }
            long deadLetters = letters.size();
            long expectedTrained = tally.good - tally.heldOut - skipped;
            if (!letters.equals(tally.poisonPositions)) {
                Set<String> missing = new HashSet<>(tally.poisonPositions);
                missing.removeAll(letters);
                Set<String> extra = new HashSet<>(letters);
                extra.removeAll(tally.poisonPositions);
                violations.add("dead letters differ from the poison sent: missing " + first(missing) + ", unexpected "
                        + first(extra));
            }
            if (trained != expectedTrained) {
                violations.add("trained on " + trained + " images, expected " + expectedTrained + " (" + tally.good
                        + " good - " + tally.heldOut + " held out - " + skipped + " in skipped steps)");
            }
            long lost = tally.produced - trained - skipped - tally.heldOut - deadLetters;
            if (lost != 0) {
                violations.add(lost + " events are neither trained on, held out nor dead-lettered");
            }
            violations.addAll(audit.violations());

            // Recovery after each fault and the longest stall between two published checkpoints.
            List<Injected> figures = new ArrayList<>();
            for (Injected f : injected) {
                Optional<CheckpointAudit.Advance> a = audit.firstAdvanceAfter(t0 + (long) (f.endSeconds() * 1e9));
                double recovery = a.map(x -> seconds(x.atNanos()) - f.endSeconds()).orElse(Double.NaN);
                if (a.isEmpty() || recovery > options.maxRecoverySeconds()) {
                    violations.add(String.format(Locale.ROOT, "%s at %.0f s: no checkpoint within %.0f s after it ended",
                            f.fault(), f.startSeconds(), options.maxRecoverySeconds()));
                }
                figures.add(new Injected(f.fault(), f.startSeconds(), f.endSeconds(), recovery, f.restoredStep()));
            }
            double stall = 0;
            List<CheckpointAudit.Advance> advances = audit.advances();
            for (int i = 1; i < advances.size(); i++) {
                stall = Math.max(stall, (advances.get(i).atNanos() - advances.get(i - 1).atNanos()) / 1e9);
            }
            Result result = new Result(figures, tally.produced, tally.good, tally.heldOut, tally.poisonPositions.size(),
                    trained, skipped, deadLetters, lost, stall, audit.verified(), audit.reads(), audit.latestStep(),
                    List.copyOf(violations));
            store.close();
            return result;
        } finally {
            stopProducing.set(true);
            if (audit != null) {
                audit.stop();
            }
            if (job != null) {
                job.destroy();
            }
            s3.close();
            kafka.close();
        }
    }

    private Map<String, String> jobFlags(EmbeddedKafka kafka, EmbeddedS3 s3, Path work) {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("kafka.bootstrap-servers", kafka.bootstrapServers());
        flags.put("kafka.topics", TOPIC);
        flags.put("kafka.dead-letter-topic", DEAD);
        flags.put("publish.uri", "s3://" + BUCKET + "/" + PREFIX);
        flags.put("s3.endpoint", s3.endpoint());
        flags.put("s3.access-key", s3.accessKey());
        flags.put("s3.secret-key", s3.secretKey());
        flags.put("publish.every-steps", "0");
        flags.put("publish.every-seconds", "5");
        flags.put("flink.checkpoint-interval-ms", "5000");
        flags.put("flink.checkpoint-dir", work.resolve("flink-checkpoints").toUri().toString());
        // The tally requires every event trained on, held out or dead-lettered: nothing skipped because a
        // restart let the job fall behind its stream (images skipped for lag are counted only in a gauge).
        flags.put("replay.max-lag", "0");
        flags.putAll(options.jobFlags());
        return flags;
    }

    /** Restarts the job if it exited by itself, which it must not do: that is a violation. */
    private void keepAlive(JobProcess job, List<String> violations) throws IOException {
        if (!job.alive()) {
            violations.add("the job's process exited by itself (start " + job.starts() + "):\n" + job.tail(20));
            job.start();
        }
    }

    private static Properties producerProperties(EmbeddedKafka kafka) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "600000");
        return p;
    }

    private static long sendPoison(EmbeddedKafka kafka, long first, int count) throws Exception {
        Properties p = producerProperties(kafka);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "1048576");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (long n = first; n < first + count; n++) {
                producer.send(new ProducerRecord<>(TOPIC, ("poison-" + n).getBytes(StandardCharsets.UTF_8),
                        PoisonEvents.value(n))).get(60, TimeUnit.SECONDS);
            }
        }
        return count;
    }

    private static void hogCpu(double seconds) throws InterruptedException {
        long until = System.nanoTime() + (long) (seconds * 1e9);
        List<Thread> hogs = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            Thread t = new Thread(() -> {
                double x = 1;
                while (System.nanoTime() < until) {
                    x = Math.sqrt(x + 1);
                }
                if (x < 0) {
                    System.out.print("");
                }
            }, "chaos-cpu-hog-" + i);
            t.setDaemon(true);
            t.start();
            hogs.add(t);
        }
        for (Thread t : hogs) {
            t.join();
        }
    }

    /** What the input topic holds: good events (of which held out) and the poison's positions. */
    private record Tally(long produced, long good, long heldOut, Set<String> poisonPositions) {}

    private static Tally tally(EmbeddedKafka kafka, double holdOutPercent) {
        long produced = 0;
        long good = 0;
        long heldOut = 0;
        Set<String> poison = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(kafka, TOPIC)) {
            produced++;
            String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
            if (key.startsWith("poison-")) {
                poison.add(r.topic() + "/" + r.partition() + "/" + r.offset());
                continue;
            }
            good++;
            try {
                ImageEvent e = ImageEvent.parseFrom(r.value());
                if (HoldOutProbes.isHeldOut(e.getId(), e.getLabel(), holdOutPercent)) {
                    heldOut++;
                }
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new IllegalStateException("a good event at offset " + r.offset() + " does not parse", ex);
            }
        }
        return new Tally(produced, good, heldOut, poison);
    }

    /** Positions of the records the job dead-lettered, each once (the dead-letter sink is at-least-once). */
    private static Set<String> deadLetters(EmbeddedKafka kafka) throws IOException {
        Set<String> positions = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(kafka, DEAD)) {
            DeadLetter d = DeadLetter.parseFrom(r.value());
            positions.add(d.getTopic() + "/" + d.getPartition() + "/" + d.getOffset());
        }
        return positions;
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(EmbeddedKafka kafka, String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(kafka)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (consumer.position(tp) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end offset " + end);
                }
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }

    /** A consumer without a group (it assigns partitions itself) that takes records of any size the broker does. */
    private static KafkaConsumer<byte[], byte[]> consumer(EmbeddedKafka kafka) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(32 << 20));
        return new KafkaConsumer<>(p);
    }

    private static long endOffset(EmbeddedKafka kafka, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(kafka)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(tp)).get(tp);
        }
    }

    /** The manifest latest.json names after the drain: the final count. */
    private static Manifest finalManifest(ObjectStore store) throws IOException {
        String manifest = Latest.read(store).orElseThrow(() -> new IOException("no " + Latest.FILE)).manifest();
        byte[] m = store.get(manifest).orElseThrow(() -> new IOException("no " + manifest));
        return Manifest.parse(m, manifest);
    }

    private interface Start<T> {
        T start() throws IOException;
    }

    /** Starts a server again on its old port, retrying while the port is still being released. */
    private static <T> T restart(Start<T> start) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return start.start();
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(1000);
            }
        }
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static boolean await(Condition condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.holds()) {
                return true;
            }
            Thread.sleep(500);
        }
        return condition.holds();
    }

    private static void sleepSeconds(double s) throws InterruptedException {
        if (s > 0) {
            Thread.sleep((long) (s * 1000));
        }
    }

    private double seconds(long nanos) {
        return (nanos - t0) / 1e9;
    }

    private void say(String format, Object... args) {
        out.printf(Locale.ROOT, "[chaos %6.1f s] %s%n", seconds(System.nanoTime()), String.format(Locale.ROOT, format, args));
    }

    private static String first(Set<String> s) {
        return s.size() <= 5 ? s.toString() : new ArrayList<>(s).subList(0, 5) + " and " + (s.size() - 5) + " more";
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
