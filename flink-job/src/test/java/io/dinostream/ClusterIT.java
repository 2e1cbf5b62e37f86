package io.dinostream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.dinostream.datasets.DatasetProducer;
import io.dinostream.local.EmbeddedKafka;
import io.dinostream.local.EmbeddedS3;
import io.dinostream.local.LocalCluster;
import io.dinostream.monitor.HoldOutProbes;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.CheckpointPublisher;
import io.dinostream.publish.Latest;
import io.dinostream.publish.Manifest;
import io.dinostream.publish.ObjectStore;
import io.dinostream.publish.S3ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The cluster jar on a real session cluster (a JobManager and two TaskManagers, each its own JVM
 * with Flink's jars and target/flink-lib, as a Flink distribution with DJL in lib/), driven only
 * through Flink's REST API as the dashboard drives it, publishing to the embedded S3 server. One
 * cluster run, five jobs:
 * <ol>
 *   <li>upload and run with parallelism 2 (the stateless operators span both TaskManagers): a
 *       published checkpoint, the trainer's step gauge, stop with a savepoint;
 *   <li>a second job resumed from the savepoint on the same TaskManagers: its trainer's
 *       {@code restoredStep} gauge is the savepoint's step, and it trains on;
 *   <li>{@code kill -9} of the TaskManager that runs that job's trainer: the job restarts from its
 *       last checkpoint on the remaining TaskManager, publishes again, the published steps run on
 *       without a gap and none is rewritten, and the trainer took every image exactly once;
 *   <li>and 5. parallelism 1 over a one-partition topic, one job stopped with a savepoint and
 *       resumed, one uninterrupted: their published models are byte for byte the same.
 * </ol>
 * Five jobs' trainers ran in two TaskManager JVMs, so at least one ran libtorch for several jobs:
 * no TaskManager log may say that libtorch was already loaded in another class loader. The jobs run
 * one after the other: DJL, loaded once per JVM, trains one model at a time per JVM. Timings go to
 * standard output.
 */
final class ClusterIT {

    private static final String TOPIC = "images";
    private static final String DEAD = "images-dead-letters";
    private static final String FIXED = "fixed-order";
    private static final String BUCKET = "models";
    private static final int BATCH = 8;
    private static final int EVERY_STEPS = 5;
    private static final double HOLD_OUT_PERCENT = 2;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private URI rest;
    /** When the test started, for the elapsed time on each line it prints. */
    private static long started = System.nanoTime();

    @Test
    void theClusterJarTrainsResumesFromASavepointAndSurvivesTheLossOfItsTaskManager() throws Exception {
        Path target = Path.of(System.getProperty("build.directory", "target")).toAbsolutePath();
        started = System.nanoTime();
        Path work = Files.createDirectories(target.resolve("cluster-it")).resolve(Long.toString(System.currentTimeMillis()));
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"));
                EmbeddedS3 s3 = EmbeddedS3.start(work)) {
            kafka.createTopic(TOPIC, 2);
            kafka.createTopic(DEAD, 1);
            kafka.createTopic(FIXED, 1);
            produce(kafka, TOPIC, 120, 1);

            long t0 = System.nanoTime();
            try (LocalCluster cluster = LocalCluster.start(work.resolve("cluster"),
                    LocalCluster.flinkClasspath(System.getProperty("java.class.path"), target.resolve("flink-lib")),
                    2, Duration.ofSeconds(120))) {
                rest = cluster.restUri();
                log("cluster of %d TaskManagers up in %d ms (%s)", cluster.taskManagerIds().size(), ms(t0), rest);
                try (ObjectStore store = new S3ObjectStore(s3.settings(BUCKET, "cluster-it"));
                        Published published = Published.watch(store)) {
                    String jar = upload(target.resolve("dino-stream-cluster.jar"));
                    List<String> args = jobArgs(kafka, s3, Map.of());
                    List<String> trainers = new ArrayList<>();

                    // 1. run, first checkpoint, step gauge, stop with a savepoint
                    long submitted = System.nanoTime();
                    String job = run(jar, args, null);
                    long first = await("a published checkpoint", Duration.ofSeconds(120),
                            () -> published.newestStep().filter(s -> s > 0));
                    log("submit -> first published checkpoint (step %d): %d ms", first, ms(submitted));
                    assertEquals(2, taskManagersRunning(job), "decode and crops run on both TaskManagers");
                    long gauge = await("the TrainDino step gauge", Duration.ofSeconds(30),
                            () -> gauge(job, "TrainDino", "step").filter(s -> s > 0));
                    trainers.add(trainerTaskManager(job));
                    log("TrainDino step gauge: %d, on %s", gauge, trainers.get(0));

                    long stopping = System.nanoTime();
                    String savepoint = stopWithSavepoint(job, work.resolve("savepoints"));
                    awaitEnded(job);
                    assertNeverFailed(job);
                    long stepAtStop = published.newestStepNow().orElseThrow();
                    log("stop with savepoint: %d ms, newest published step %d", ms(stopping), stepAtStop);

                    // 2. a second job on the same TaskManagers, resumed from the savepoint, with
                    // input arriving as it trains, so that the kill below finds it training
                    produce(kafka, TOPIC, 40, 2);
                    long resumed = System.nanoTime();
                    String job2 = run(jar, args, savepoint);
                    Feeder feeder = new Feeder(kafka, job2, 120 + 40);
                    long restored = await("the trainer's restoredStep gauge", Duration.ofSeconds(120),
                            () -> gauge(job2, "TrainDino", "restoredStep").filter(s -> s >= 0));
                    long next = await("a checkpoint published after the resume", Duration.ofSeconds(120),
                            () -> published.newestStep().filter(s -> s > stepAtStop));
                    trainers.add(trainerTaskManager(job2));
                    log("resume: trainer restored at step %d (restoredStep gauge), published step %d %d ms after"
                            + " submit, trainer on %s", restored, next, ms(resumed), trainers.get(1));
                    assertTrue(restored >= stepAtStop && restored > 0,
                            "the trainer restores the savepoint's step, at or after the last published " + stepAtStop);

                    // 3. kill -9 the TaskManager that trains
                    killTheTrainersTaskManager(cluster, kafka, feeder, published, job2, restored, trainers);

                    long expected = tally(kafka, TOPIC).trained();
                    long taken = await("the trainer to take every image produced (" + expected + " not held out)",
                            Duration.ofSeconds(240), () -> imagesTaken(job2).filter(n -> n >= expected));
                    Thread.sleep(2000); // anything replayed twice would show up by now
                    assertEquals(expected, taken, "images the trainer took: each produced image exactly once");
                    assertEquals(expected, imagesTaken(job2).orElseThrow(), "images the trainer took, 2 s later");
                    List<Long> steps = published.verify(BATCH, EVERY_STEPS);
                    log("exactly once: the trainer took each of the %d images once; %d published checkpoints,"
                            + " steps %d..%d every %d, none rewritten", expected, steps.size(), steps.get(0),
                            steps.get(steps.size() - 1), EVERY_STEPS);
                    cancel(job2);
                    awaitEnded(job2);

                    // 4. and 5.: a savepoint resume publishes what an uninterrupted run publishes
                    savepointResumeMatchesAnUninterruptedRun(kafka, s3, jar, work.resolve("savepoints"), trainers);

                    assertNoSecondLibtorch(cluster, trainers);
                } catch (Exception | AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\ncluster logs:\n" + cluster.tails(40), e);
                }
            }
        }
        // A failed run keeps its work directory, logs included, for reading; a passed one holds
        // nothing worth its ~100 MB (Kafka's log, S3's objects, the uploaded jar, checkpoints).
        deleteRecursively(work);
    }

    /**
     * Kills the TaskManager that runs job's trainer once a checkpoint past {@code restored} has
     * completed, then checks that the job runs again on the other TaskManager from that checkpoint
     * and publishes again. Prints kill → RUNNING and kill → next published checkpoint.
     */
    private void killTheTrainersTaskManager(LocalCluster cluster, EmbeddedKafka kafka, Feeder feeder,
            Published published, String job, long restored, List<String> trainers) throws Exception {
        long progressed = await("the resumed trainer 5 steps on", Duration.ofSeconds(120),
                () -> gauge(job, "TrainDino", "step").filter(s -> s >= restored + 5));
        // A checkpoint triggered after that reading holds at least that step. (Gauges lag, never lead.)
        long readAt = System.currentTimeMillis();
        JsonObject checkpoint = await("a checkpoint triggered after step " + progressed, Duration.ofSeconds(120),
                () -> Optional.ofNullable(checkpoints(job).getAsJsonObject("latest").get("completed"))
                        .filter(JsonElement::isJsonObject).map(JsonElement::getAsJsonObject)
                        .filter(c -> c.get("trigger_timestamp").getAsLong() > readAt));
        JsonObject before = subtask(job, "TrainDino");
        String victim = before.get("taskmanager-id").getAsString();
        long publishedAtKill = published.newestStepNow().orElseThrow();
        long stepAtKill = gauge(job, "TrainDino", "step").orElseThrow();
        long pid = cluster.taskManagerPid(victim);

        Instant killedAt = Instant.now();
        long killed = System.nanoTime();
        cluster.killTaskManager(victim);
        long fed = feeder.stop();
        log("kill -9 %s (pid %d), which runs TrainDino (attempt %d): trainer at step >= %d, newest published step"
                + " %d, last completed checkpoint %s (taken at step >= %d, in %s ms); %d images fed while it trained",
                victim, pid, before.get("attempt").getAsInt(), stepAtKill, publishedAtKill, checkpoint.get("id"),
                progressed, checkpoint.get("end_to_end_duration"), fed);
        produce(kafka, TOPIC, 80, 3); // more input while the job recovers

        String survivor = cluster.taskManagerIds().stream().filter(id -> !id.equals(victim)).findFirst().orElseThrow();
        int attempt = before.get("attempt").getAsInt();
        long running = await("the job RUNNING again on " + survivor, Duration.ofSeconds(150), () -> {
            JsonObject t = subtask(job, "TrainDino");
            boolean moved = t.get("status").getAsString().equals("RUNNING") && t.get("attempt").getAsInt() > attempt
                    && t.get("taskmanager-id").getAsString().equals(survivor);
            return moved && allRunning(job) ? Optional.of(ms(killed)) : Optional.empty();
        });
        JsonObject restoredCheckpoint = await("the restored checkpoint in /jobs/:id/checkpoints", Duration.ofSeconds(30),
                () -> Optional.ofNullable(checkpoints(job).getAsJsonObject("latest").get("restored"))
                        .filter(JsonElement::isJsonObject).map(JsonElement::getAsJsonObject));
        long restoredAfterKill = await("the restarted trainer's restoredStep gauge", Duration.ofSeconds(30),
                () -> gauge(job, "TrainDino", "restoredStep").filter(s -> s != restored));
        Published.Step next = await("a checkpoint published by the restarted job", Duration.ofSeconds(120),
                () -> published.firstCreatedAfter(killedAt));
        long nextMs = (next.firstSeenNanos() - killed) / 1_000_000;
        // when the job last entered each state, epoch ms: RESTARTING once Flink noticed the loss
        JsonObject states = get("/jobs/" + job).getAsJsonObject().getAsJsonObject("timestamps");
        long kill = killedAt.toEpochMilli();
        log("recovery on %s, after the kill: loss noticed (job RESTARTING) %d ms, job RUNNING %d ms, every task"
                + " RUNNING %d ms (trainer restored at step %d from checkpoint %s), next published checkpoint"
                + " (step %d) %d ms", survivor, states.get("RESTARTING").getAsLong() - kill,
                states.get("RUNNING").getAsLong() - kill, running, restoredAfterKill, restoredCheckpoint.get("id"),
                next.step(), nextMs);
        trainers.add(survivor);

        assertFalse(restoredCheckpoint.get("is_savepoint").getAsBoolean(), "restored a checkpoint, not the savepoint");
        assertTrue(restoredCheckpoint.get("id").getAsLong() >= checkpoint.get("id").getAsLong(),
                "restored the last checkpoint completed before the kill (" + checkpoint.get("id")
                        + ") or a later one: " + restoredCheckpoint);
        assertTrue(restoredAfterKill >= progressed, "the trainer restarts at the checkpoint's step, at least "
                + progressed + ", not at the savepoint's " + restored + ": got " + restoredAfterKill);
        assertTrue(next.step() > publishedAtKill, "published steps continue past " + publishedAtKill + ": " + next);
        assertEquals(1, taskManagersRunning(job), "every subtask now runs on " + survivor);
    }

    /**
     * Parallelism 1 over one partition, so that the trainer sees one order of images however its
     * inputs are timed: job S trains on the first half and stops with a savepoint once it took all
     * of it; the second half is produced and S resumes from its savepoint; then job U trains on
     * both halves from the start. Every step both publish has byte-identical teacher and student.
     */
    private void savepointResumeMatchesAnUninterruptedRun(EmbeddedKafka kafka, EmbeddedS3 s3, String jar, Path savepoints,
            List<String> trainers) throws Exception {
        Map<String, String> fixed =
                Map.of("--kafka.topics", FIXED, "--flink.parallelism", "1", "--crops.parallelism", "1");
        List<String> resumedArgs = jobArgs(kafka, s3, with(fixed, "--publish.uri", "s3://" + BUCKET + "/resumed"));
        List<String> cleanArgs = jobArgs(kafka, s3, with(fixed, "--publish.uri", "s3://" + BUCKET + "/uninterrupted"));
        produce(kafka, FIXED, 64, 4);
        long half = tally(kafka, FIXED).trained();
        String first = run(jar, resumedArgs, null);
        await("job S to take the first " + half + " images", Duration.ofSeconds(180),
                () -> imagesTaken(first).filter(n -> n >= half));
        trainers.add(trainerTaskManager(first));
        String savepoint = stopWithSavepoint(first, savepoints);
        awaitEnded(first);
        assertNeverFailed(first);

        produce(kafka, FIXED, 64, 5);
        long all = tally(kafka, FIXED).trained();
        long lastStep = all / BATCH / EVERY_STEPS * EVERY_STEPS;
        String lastManifest = CheckpointPublisher.folder(lastStep) + Manifest.FILE;
        long restored;
        int compared = 0;
        try (ObjectStore a = new S3ObjectStore(s3.settings(BUCKET, "uninterrupted"));
                ObjectStore b = new S3ObjectStore(s3.settings(BUCKET, "resumed"))) {
            // One after the other: two trainers in one TaskManager JVM cannot train at once (see
            // assertNoSecondLibtorch), and after the kill one TaskManager is left.
            String resumed = run(jar, resumedArgs, savepoint);
            restored = runUntilPublished(resumed, all, b, lastManifest, trainers).orElseThrow();
            runUntilPublished(run(jar, cleanArgs, null), all, a, lastManifest, trainers);
            List<String> cleanManifests = manifests(a);
            assertEquals(cleanManifests, manifests(b), "the same steps published");
            for (String key : cleanManifests) {
                String folder = key.substring(0, key.indexOf('/') + 1);
                Manifest ma = Manifest.parse(a.get(key).orElseThrow(), key);
                Manifest mb = Manifest.parse(b.get(key).orElseThrow(), key);
                assertEquals(ma.imagesSeen(), mb.imagesSeen(), folder + " images seen");
                assertEquals(ma.kafkaOffsets(), mb.kafkaOffsets(), folder + " Kafka offsets");
                assertEquals(ma.files(), mb.files(), folder + " files' sha256 and size");
                for (String file : ma.files().keySet()) {
                    assertArrayEquals(a.get(folder + file).orElseThrow(), b.get(folder + file).orElseThrow(),
                            folder + file);
                }
                compared++;
            }
        }
        assertTrue(restored >= EVERY_STEPS && lastStep > restored && compared == lastStep / EVERY_STEPS,
                "steps on both sides of the savepoint's " + restored + " compared: " + compared + " up to " + lastStep);
        log("savepoint resumed at step %d: %d published checkpoints (steps %d..%d) byte-identical to an"
                + " uninterrupted run's", restored, compared, EVERY_STEPS, lastStep);
    }

    /**
     * Waits until job took {@code images} and published {@code manifest}, then cancels it and waits
     * for its end; returns its trainer's restoredStep, when it restored one.
     */
    private Optional<Long> runUntilPublished(String job, long images, ObjectStore store, String manifest,
            List<String> trainers) throws Exception {
        await("job " + job + " to take all " + images + " images and publish " + manifest, Duration.ofSeconds(180),
                () -> imagesTaken(job).filter(n -> n >= images).isPresent() && store.get(manifest).isPresent()
                        ? Optional.of(true) : Optional.empty());
        trainers.add(trainerTaskManager(job));
        Optional<Long> restored = gauge(job, "TrainDino", "restoredStep").filter(s -> s >= 0);
        assertNeverFailed(job);
        cancel(job);
        awaitEnded(job);
        return restored;
    }

    /**
     * libtorch loaded from lib/ once per TaskManager JVM, and so never twice. DJL, loaded once per
     * JVM with it, records gradients for one thread of the JVM at a time (PtGradientCollector's
     * static flag): two trainers at once in one TaskManager fail with "already collecting", which
     * this test avoids by running its jobs one after the other.
     */
    private static void assertNoSecondLibtorch(LocalCluster cluster, List<String> trainers) throws IOException {
        Map<String, Long> jobsPerTaskManager = new TreeMap<>();
        trainers.forEach(tm -> jobsPerTaskManager.merge(tm, 1L, Long::sum));
        log("trainers by TaskManager (one per job or restart): %s", jobsPerTaskManager);
        assertTrue(jobsPerTaskManager.values().stream().anyMatch(n -> n > 1),
                "a TaskManager ran the trainer of more than one job: " + trainers);
        try (Stream<Path> logs = Files.list(cluster.logDir())) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("taskmanager")).toList()) {
                String text = Files.readString(log, StandardCharsets.UTF_8);
                for (String bad : List.of("already loaded in another classloader", "UnsatisfiedLinkError",
                        "A PtGradientCollector is already collecting")) {
                    assertFalse(text.contains(bad), log.getFileName() + " says " + bad);
                }
            }
        }
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> m = new HashMap<>(base);
        m.put(key, value);
        return m;
    }

    private static List<String> manifests(ObjectStore store) throws IOException {
        return store.list("step-").stream().filter(k -> k.endsWith("/" + Manifest.FILE)).toList();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The job's options, with {@code overrides} (option name with its dashes, value) in place. */
    private static List<String> jobArgs(EmbeddedKafka kafka, EmbeddedS3 s3, Map<String, String> overrides) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("--kafka.bootstrap-servers", kafka.bootstrapServers());
        a.put("--kafka.topics", TOPIC);
        a.put("--kafka.dead-letter-topic", DEAD);
        a.put("--kafka.starting-offsets", "earliest");
        a.put("--publish.uri", "s3://" + BUCKET + "/cluster-it");
        a.put("--s3.endpoint", s3.endpoint());
        a.put("--s3.access-key", s3.accessKey());
        a.put("--s3.secret-key", s3.secretKey());
        a.put("--publish.every-steps", Integer.toString(EVERY_STEPS));
        a.put("--publish.every-seconds", "0");
        a.put("--monitor.holdout-percent", Double.toString(HOLD_OUT_PERCENT));
        a.put("--model.width", "4");
        a.put("--crops.global-size", "16");
        a.put("--crops.local-size", "8");
        a.put("--train.batch-size", Integer.toString(BATCH));
        a.put("--flink.checkpoint-interval-ms", "2000");
        a.put("--flink.parallelism", "2");
        a.put("--crops.parallelism", "2");
        // Replay off: the exactly-once tally counts each image of the topic once in imagesSeen, imagesSkipped
        // and pendingImages, which replays would add to; the replay stage's own restore is exact in
        // ReplayStageTest and StreamingJobTest.
        a.put("--replay.fraction", "0");
        a.put("--replay.max-lag", "0"); // and every image trained on, however long the cluster takes to start
        a.putAll(overrides);
        List<String> args = new ArrayList<>();
        a.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
        return args;
    }

    private static void produce(EmbeddedKafka kafka, String topic, long images, long seed) {
        Properties props = new Properties();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        DatasetProducer.Result r = new DatasetProducer("synthetic", topic, 0, false, images, seed)
                .run(props, new AtomicBoolean(), new AtomicLong());
        assertEquals(images, r.acknowledged(), "images the broker took: " + r);
    }

    /** What a topic holds: images, and of them those the monitor holds out of training. */
    private record Tally(long images, long heldOut) {
        long trained() {
            return images - heldOut;
        }
    }

    private static Tally tally(EmbeddedKafka kafka, String topic) throws IOException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long images = 0;
        long heldOut = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("could not read " + topic + " to its end within 30 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    ImageEvent e = ImageEvent.parseFrom(r.value());
                    images++;
                    if (HoldOutProbes.isHeldOut(e.getId(), e.getLabel(), HOLD_OUT_PERCENT)) {
                        heldOut++;
                    }
                }
            }
        }
        return new Tally(images, heldOut);
    }

    // --- Flink's REST API -------------------------------------------------------------------

    /** POST /jars/upload, multipart as the dashboard sends it; returns the jar id. */
    private String upload(Path jar) throws IOException, InterruptedException {
        String boundary = "----dinostream" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(Files.readAllBytes(jar));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonObject r = send(HttpRequest.newBuilder(rest.resolve("/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        String filename = r.get("filename").getAsString();
        return Path.of(filename).getFileName().toString();
    }

    /** POST /jars/:id/run; returns the job id. */
    private String run(String jar, List<String> args, String savepoint) throws IOException, InterruptedException {
        JsonObject request = new JsonObject();
        JsonArray programArgs = new JsonArray();
        args.forEach(programArgs::add);
        request.add("programArgsList", programArgs);
        if (savepoint != null) {
            request.addProperty("savepointPath", savepoint);
        }
        return post("/jars/" + jar + "/run", request).get("jobid").getAsString();
    }

    /** POST /jobs/:id/stop, then polls the savepoint trigger; returns the savepoint's location. */
    private String stopWithSavepoint(String job, Path dir) throws Exception {
        JsonObject request = new JsonObject();
        request.addProperty("targetDirectory", dir.toUri().toString());
        request.addProperty("drain", false);
        String trigger = post("/jobs/" + job + "/stop", request).get("request-id").getAsString();
        return await("the savepoint", Duration.ofSeconds(120), () -> {
            JsonObject s = get("/jobs/" + job + "/savepoints/" + trigger).getAsJsonObject();
            if (!s.getAsJsonObject("status").get("id").getAsString().equals("COMPLETED")) {
                return Optional.empty();
            }
            JsonObject op = s.getAsJsonObject("operation");
            if (op.has("failure-cause")) {
                throw new IllegalStateException("stop with savepoint failed: " + op.get("failure-cause"));
            }
            return Optional.of(op.get("location").getAsString());
        });
    }

    private void cancel(String job) throws IOException, InterruptedException {
        http.send(HttpRequest.newBuilder(rest.resolve("/jobs/" + job + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The job never failed: a restart, e.g. after a task failure, would otherwise pass unseen. */
    private void assertNeverFailed(String job) throws IOException, InterruptedException {
        JsonArray failures = get("/jobs/" + job + "/exceptions").getAsJsonObject()
                .getAsJsonObject("exceptionHistory").getAsJsonArray("entries");
        if (!failures.isEmpty()) {
            JsonObject f = failures.get(0).getAsJsonObject();
            String trace = f.has("stacktrace") ? f.get("stacktrace").getAsString() : f.toString();
            throw new AssertionError("job " + job + " failed " + failures.size() + " time(s), first with:\n"
                    + trace.substring(0, Math.min(trace.length(), 3000)));
        }
    }

    /** Waits until a cancelled or stopped job no longer holds its slots. */
    private void awaitEnded(String job) throws Exception {
        await("job " + job + " to end", Duration.ofSeconds(60), () -> {
            String state = get("/jobs/" + job).getAsJsonObject().get("state").getAsString();
            return List.of("CANCELED", "FINISHED", "FAILED").contains(state) ? Optional.of(state) : Optional.empty();
        });
    }

    /** A gauge of the first vertex whose name contains vertexName, from /jobs/:id/vertices/:vid/metrics. */
    private Optional<Long> gauge(String job, String vertexName, String metric) throws IOException, InterruptedException {
        return gauges(job, vertexName, List.of(metric)).map(v -> v.get(metric));
    }

    /** Several gauges of subtask 0 in one request; empty until all of them are there. */
    private Optional<Map<String, Long>> gauges(String job, String vertexName, List<String> metrics)
            throws IOException, InterruptedException {
        String base = "/jobs/" + job + "/vertices/" + vertex(job, vertexName) + "/metrics";
        Map<String, String> ids = new HashMap<>();
        for (JsonElement m : get(base).getAsJsonArray()) {
            String id = m.getAsJsonObject().get("id").getAsString();
            for (String metric : metrics) {
                if (id.startsWith("0.") && id.endsWith("." + metric)) {
                    ids.put(id, metric);
                }
            }
        }
        if (ids.size() < metrics.size()) {
            return Optional.empty();
        }
        Map<String, Long> values = new HashMap<>();
        for (JsonElement v : get(base + "?get=" + String.join(",", ids.keySet())).getAsJsonArray()) {
            JsonObject o = v.getAsJsonObject();
            values.put(ids.get(o.get("id").getAsString()), (long) Double.parseDouble(o.get("value").getAsString()));
        }
        return values.size() == metrics.size() ? Optional.of(values) : Optional.empty();
    }

    /** Every image the trainer took: trained, skipped (non-finite steps) and waiting for a batch. */
    private Optional<Long> imagesTaken(String job) throws IOException, InterruptedException {
        return gauges(job, "TrainDino", List.of("imagesSeen", "imagesSkipped", "pendingImages"))
                .map(g -> g.values().stream().mapToLong(Long::longValue).sum());
    }

    /** How many TaskManagers run subtasks of the job's vertices with parallelism 2 (decode, crops). */
    private int taskManagersRunning(String job) throws IOException, InterruptedException {
        List<String> hosts = new ArrayList<>();
        for (JsonElement v : get("/jobs/" + job).getAsJsonObject().getAsJsonArray("vertices")) {
            if (v.getAsJsonObject().get("parallelism").getAsInt() < 2) {
                continue;
            }
            String vid = v.getAsJsonObject().get("id").getAsString();
            for (JsonElement s : get("/jobs/" + job + "/vertices/" + vid).getAsJsonObject().getAsJsonArray("subtasks")) {
                String tm = s.getAsJsonObject().get("taskmanager-id").getAsString();
                if (!hosts.contains(tm)) {
                    hosts.add(tm);
                }
            }
        }
        return hosts.size();
    }

    /** Subtask 0 of a vertex: status, attempt, taskmanager-id, ... */
    private JsonObject subtask(String job, String vertexName) throws IOException, InterruptedException {
        return get("/jobs/" + job + "/vertices/" + vertex(job, vertexName)).getAsJsonObject()
                .getAsJsonArray("subtasks").get(0).getAsJsonObject();
    }

    /** Where the trainer runs; the REST API shows a job's state up to web.refresh-interval late. */
    private String trainerTaskManager(String job) throws Exception {
        return await("job " + job + "'s trainer on a TaskManager", Duration.ofSeconds(30),
                () -> Optional.of(subtask(job, "TrainDino").get("taskmanager-id").getAsString())
                        .filter(tm -> !tm.equals("(unassigned)")));
    }

    /** The job and every vertex RUNNING. */
    private boolean allRunning(String job) throws IOException, InterruptedException {
        JsonObject j = get("/jobs/" + job).getAsJsonObject();
        if (!j.get("state").getAsString().equals("RUNNING")) {
            return false;
        }
        for (JsonElement v : j.getAsJsonArray("vertices")) {
            if (!v.getAsJsonObject().get("status").getAsString().equals("RUNNING")) {
                return false;
            }
        }
        return true;
    }

    private JsonObject checkpoints(String job) throws IOException, InterruptedException {
        return get("/jobs/" + job + "/checkpoints").getAsJsonObject();
    }

    private long latestCompletedCheckpoint(String job) throws IOException, InterruptedException {
        JsonElement completed = checkpoints(job).getAsJsonObject("latest").get("completed");
        return completed == null || completed.isJsonNull() ? -1 : completed.getAsJsonObject().get("id").getAsLong();
    }

    private String vertex(String job, String nameContains) throws IOException, InterruptedException {
        for (JsonElement v : get("/jobs/" + job).getAsJsonObject().getAsJsonArray("vertices")) {
            if (v.getAsJsonObject().get("name").getAsString().contains(nameContains)) {
                return v.getAsJsonObject().get("id").getAsString();
            }
        }
        throw new IllegalStateException("no vertex named *" + nameContains + "* in job " + job);
    }

    private JsonElement get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(rest.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body());
    }

    private JsonObject post(String path, JsonObject body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(rest.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    private JsonObject send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException(r.request().method() + " " + r.request().uri().getPath() + ": HTTP "
                    + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    /**
     * Keeps a few batches of images ahead of a job's trainer, in chunks, until stopped: input that
     * arrives as the job trains, at whatever speed this machine trains, without a backlog that
     * would take minutes to work off on a slow one.
     */
    private final class Feeder {

        private static final int CHUNK = 16;
        private static final int AHEAD = 3 * CHUNK;

        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong fed = new AtomicLong();
        private final Thread thread;
        private volatile Throwable failure;

        /** @param produced images in the topic so far, which the trainer takes first */
        Feeder(EmbeddedKafka kafka, String job, long produced) {
            thread = new Thread(() -> {
                long seed = 100;
                try {
                    while (!stop.get()) {
                        Optional<Long> taken;
                        try {
                            taken = imagesTaken(job);
                        } catch (IOException | RuntimeException e) {
                            taken = Optional.empty(); // the job or its metrics are not there yet
                        }
                        if (taken.isPresent() && produced + fed.get() - taken.get() < AHEAD) {
                            produce(kafka, TOPIC, CHUNK, seed++);
                            fed.addAndGet(CHUNK);
                        } else {
                            Thread.sleep(200);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception | AssertionError e) {
                    failure = e;
                }
            }, "feeder");
            thread.setDaemon(true);
            thread.start();
        }

        /** Stops feeding; returns how many images it sent. */
        long stop() throws InterruptedException {
            stop.set(true);
            thread.join(30_000);
            if (failure != null) {
                throw new AssertionError("feeding images failed: " + failure, failure);
            }
            return fed.get();
        }
    }

    // --- what the job publishes ---------------------------------------------------------------

    /**
     * Watches a store as a reader does, five times a second: when each checkpoint folder's manifest
     * first appeared and what it held, and whether latest.json ever moved back. {@link #verify}
     * then checks that nothing published was rewritten or left out.
     */
    private static final class Published implements AutoCloseable {

        record Step(long step, long firstSeenNanos, byte[] manifestBytes, Manifest manifest) {}

        private final ObjectStore store;
        private final TreeMap<Long, Step> steps = new TreeMap<>();
        private final List<String> violations = new ArrayList<>();
        private final Thread thread;
        private volatile boolean stop;
        private long latest = -1;

        private Published(ObjectStore store) {
            this.store = store;
            this.thread = new Thread(this::loop, "published-watch");
            thread.setDaemon(true);
        }

        static Published watch(ObjectStore store) {
            Published p = new Published(store);
            p.thread.start();
            return p;
        }

        private void loop() {
            while (!stop) {
                try {
                    poll();
                } catch (Exception e) {
                    // a read between two writes, or the store busy: the next poll reads again
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void poll() throws IOException {
            long now = System.nanoTime();
            Optional<Latest> l = Latest.read(store);
            synchronized (this) {
                if (l.isPresent()) {
                    if (l.get().step() < latest) {
                        violations.add("latest.json moved back from step " + latest + " to " + l.get().step());
                    }
                    latest = Math.max(latest, l.get().step());
                }
            }
            for (String key : manifests(store)) {
                long step = Long.parseLong(key.substring("step-".length(), key.indexOf('/')));
                synchronized (this) {
                    if (steps.containsKey(step)) {
                        continue;
                    }
                }
                byte[] bytes = store.get(key).orElseThrow();
                Step s = new Step(step, now, bytes, Manifest.parse(bytes, key));
                synchronized (this) {
                    steps.putIfAbsent(step, s);
                }
            }
        }

        /** The newest step as the store has it now, not as the last poll saw it. */
        Optional<Long> newestStepNow() throws IOException {
            poll();
            return newestStep();
        }

        synchronized Optional<Long> newestStep() {
            return steps.isEmpty() ? Optional.empty() : Optional.of(steps.lastKey());
        }

        /** The first checkpoint whose snapshot the trainer took after {@code instant}. */
        synchronized Optional<Step> firstCreatedAfter(Instant instant) {
            return steps.values().stream().filter(s -> s.manifest().createdAt().isAfter(instant)).findFirst();
        }

        /**
         * Each published checkpoint is as it was first read, with every file its manifest lists;
         * the steps are every {@code every} from the first, none missing, each after {@code batch}
         * images a step; latest.json never moved back. Returns the steps.
         */
        List<Long> verify(int batch, int every) throws IOException {
            poll();
            List<Step> seen;
            synchronized (this) {
                assertTrue(violations.isEmpty(), violations.toString());
                seen = List.copyOf(steps.values());
            }
            List<Long> numbers = new ArrayList<>();
            for (Step s : seen) {
                String folder = CheckpointPublisher.folder(s.step());
                assertTrue(Arrays.equals(s.manifestBytes(), store.get(folder + Manifest.FILE).orElseThrow()),
                        folder + Manifest.FILE + " was rewritten after it was published");
                for (Map.Entry<String, Manifest.FileEntry> f : s.manifest().files().entrySet()) {
                    assertTrue(f.getValue().matches(store.get(folder + f.getKey()).orElseThrow()),
                            folder + f.getKey() + " does not match its manifest");
                }
                assertEquals(s.step() * batch, s.manifest().imagesSeen(), folder + " images seen");
                numbers.add(s.step());
            }
            for (int i = 0; i < numbers.size(); i++) {
                assertEquals((i + 1L) * every, numbers.get(i), "published steps, every " + every + ": " + numbers);
            }
            assertNotEquals(0, numbers.size(), "no checkpoint published");
            return numbers;
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5000);
        }
    }

    @FunctionalInterface
    private interface Probe<T> {
        Optional<T> get() throws Exception;
    }

    private static <T> T await(String what, Duration timeout, Probe<T> probe) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Optional<T> value = probe.get();
                if (value.isPresent()) {
                    return value.get();
                }
            } catch (IOException e) {
                // not there yet (REST endpoint, metric or file)
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no " + what + " within " + timeout.toSeconds() + " s");
    }

    private static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    private static void log(String format, Object... args) {
        System.out.printf("[ClusterIT %5.1f s] %s%n", (System.nanoTime() - started) / 1e9, String.format(format, args));
    }
}
