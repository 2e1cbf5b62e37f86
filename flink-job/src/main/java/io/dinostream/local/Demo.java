package io.dinostream.local;

import io.dinostream.DinoStreamJob;
import io.dinostream.FlinkSettings;
import io.dinostream.JobConfig;
import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.config.PassThrough;
import io.dinostream.datasets.DatasetProducer;
import io.dinostream.datasets.StreamOrder;
import io.dinostream.datasets.SyntheticSource;
import io.dinostream.monitor.ProbeScorer;
import io.dinostream.publish.CheckpointPublisher;
import io.dinostream.publish.Latest;
import io.dinostream.publish.Manifest;
import io.dinostream.publish.ObjectStore;
import io.dinostream.publish.S3ObjectStore;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code demo}: the whole stack in one process — an embedded Kafka broker, an embedded S3 server
 * storing under {@code <workdir>/s3/}, a dataset producer, and the DINO Stream job on a local
 * Flink with its dashboard — running the same job graph as production with local endpoints.
 */
public final class Demo {

    private static final String BUCKET = "dino-stream";
    private static final String PREFIX = "checkpoints";
    /** How long Ctrl-C waits for the job to be cancelled and to end before the process exits anyway. */
    private static final long STOP_WAIT_SECONDS = 150;
    /** File in the workdir holding when the job started (ISO-8601), for benchmarks' time axes. */
    public static final String STARTED_MARKER = "job-started-at";

    private Demo() {}

    static final Option<Long> MAX_STEPS = Option.wholeNumber("max-steps", "0",
            "train N steps, publish a final checkpoint and exit (0: run until Ctrl-C)").nonNegative();
    static final Option<Double> MAX_MINUTES = Option.number("max-minutes", "0",
            "after M minutes of wall time, drain: publish a final checkpoint and exit (0: no limit)").nonNegative();
    static final Option<String> WORKDIR = Option.text("workdir", "dino-stream-work",
            "where everything goes: s3/ (checkpoints), kafka/, flink-checkpoints/");
    static final Option<String> DATASET = Option.text("dataset", "synthetic",
            "synthetic | idx:PATH (MNIST-format files, e.g. Fashion-MNIST) | folder:PATH");
    static final Option<Double> RATE = Option.number("rate", "100",
            "images per second the producer sends, 0 for as fast as it can").nonNegative();
    static final Option<Boolean> LOOP = Option.bool("loop", "false", "send a finite dataset again and again");
    static final Option<String> ORDER = Option.text("order", "file", "order of a finite dataset's images: "
            + StreamOrder.FORMS);
    static final Option<Integer> WEB_PORT = Option.integer("web-port", "8081", "Flink dashboard port, 0 for any free one");
    static final Option<String> WEB_BIND = Option.text("web-bind", DinoStreamJob.LOCAL_WEB_BIND,
            "address the dashboard, REST API and BlobServer listen on; they have no login: anyone who reaches"
                    + " them can cancel the job");

    /** The demo's own options; every other name is a job option (checked by the job's options). */
    static final OptionSet OPTIONS = OptionSet.of(
                    "demo: Kafka, object storage, a dataset producer and the DINO Stream job in one process.",
                    MAX_STEPS, MAX_MINUTES, WORKDIR, DATASET, RATE, LOOP, ORDER, WEB_PORT, WEB_BIND)
            .withHeading("Demo options:")
            .passing(PassThrough.claiming(name -> true)
                    .help("<job option>", "any job option (see --help-job), e.g. --model.width 32"));

    public static int run(List<String> args) throws Exception {
        if (args.contains("--help-job")) {
            System.out.println(JobConfig.help());
            return 0;
        }
        OptionValues given = OPTIONS.parseArgs(args);
        if (given == null) {
            System.out.println(OPTIONS.help());
            return 0;
        }
        Map<String, String> jobFlags = given.passedThrough();
        long maxSteps = given.get(MAX_STEPS);
        double maxMinutes = given.get(MAX_MINUTES);
        double rate = given.get(RATE);
        int webPort = given.get(WEB_PORT);
        if (webPort == 0) { // any free port, but one we can print
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                webPort = probe.getLocalPort();
            }
        }
        String webBind = given.get(WEB_BIND);
        DinoStreamJob.localClusterOptions(webBind); // checks --web-bind before anything starts
        Path workdir = Path.of(given.get(WORKDIR)).toAbsolutePath().normalize();
        Files.createDirectories(workdir);

        long started = System.nanoTime();
        // The broker takes records as large as the job accepts images (--ingest.max-bytes).
        int maxMessageBytes = EmbeddedKafka.messageLimitFor(
                JobConfig.fromFlags(jobFlags).ingest().decodeLimits().maxBytes());
        try (EmbeddedKafka kafka = EmbeddedKafka.start(workdir.resolve("kafka"), 0, maxMessageBytes);
                EmbeddedS3 s3 = EmbeddedS3.start(workdir)) {
            // the demo's endpoints and cadence, under any job flag the user gave
            Map<String, String> flags = new LinkedHashMap<>();
            flags.put("kafka.bootstrap-servers", kafka.bootstrapServers());
            flags.put("publish.uri", "s3://" + BUCKET + "/" + PREFIX);
            flags.put("s3.endpoint", s3.endpoint());
            flags.put("s3.access-key", s3.accessKey());
            flags.put("s3.secret-key", s3.secretKey());
            flags.put("train.max-steps", Long.toString(maxSteps));
            flags.put("publish.every-steps", "50");
            flags.put("flink.checkpoint-interval-ms", "10000");
            // Checkpoints stay when the demo stops, and the next run in the same workdir resumes from
            // the newest one: the trainer continues at its saved step, the source at its offsets.
            flags.put("flink.checkpoint-dir", workdir.resolve("flink-checkpoints").toUri().toString());
            flags.put("flink.resume-from", FlinkSettings.NEWEST);
            flags.put("flink.rest-port", Integer.toString(webPort));
            if (!given.get(LOOP) && !given.get(DATASET).startsWith(SyntheticSource.SOURCE)) {
                // A finite dataset sent once is a backlog, not a live stream: train on all of it, however
                // slowly, instead of skipping what has waited longer than --replay.max-lag and then idling.
                flags.put("replay.max-lag", "0");
            }
            flags.putAll(jobFlags);
            JobConfig config = JobConfig.fromFlags(flags);
            for (String topic : config.kafka().topics()) {
                kafka.createTopic(topic, 1);
            }
            kafka.createTopic(config.kafka().deadLetterTopic(), 1);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong produced = new AtomicLong();
            DatasetProducer dataset = new DatasetProducer(given.get(DATASET), config.kafka().topics().get(0), rate,
                    given.get(LOOP), 0, config.trainer().seed(), given.get(ORDER));
            Properties producerProperties = new Properties();
            producerProperties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            producerProperties.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxMessageBytes);
            Thread producer = new Thread(() -> {
                DatasetProducer.Result result = dataset.run(producerProperties, stop, produced);
                if (result.firstFailure() != null) {
                    System.err.println("dataset producer stopped: " + result.firstFailure().getMessage());
                }
            }, "dataset-producer");
            producer.setDaemon(true);
            producer.start();

            Configuration flink = DinoStreamJob.localRun(config.flink(), webBind);
            flink.getOptional(StateRecoveryOptions.SAVEPOINT_PATH).ifPresent(resume ->
                    System.out.println("resuming from " + resume + " (delete " + workdir + " to start over)"));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            DinoStreamJob.warnIfReachable(webBind);
            DinoStreamJob.configure(env, config.flink());
            DinoStreamJob.build(env, config, DinoStreamJob.kafkaEnds(config));
            JobClient job = env.executeAsync("DINO Stream demo");
            long jobStarted = System.nanoTime();
            Files.writeString(workdir.resolve(STARTED_MARKER), java.time.Instant.now().toString());
            System.out.printf("DINO Stream demo: Flink dashboard http://%s:%d, Kafka %s, S3 %s (files in %s)%n",
                    flink.get(RestOptions.ADDRESS), webPort, kafka.bootstrapServers(), s3.endpoint(), s3.root().resolve(BUCKET).resolve(PREFIX));
            // Ctrl-C: the loop below cancels the job (its checkpoints stay, and the next run resumes
            // from the newest); the process waits for that instead of ending under a running job.
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop.set(true);
                try {
                    stopped.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "demo-stop"));

            long lastSeen = -1;
            try (ObjectStore store = new S3ObjectStore(s3.settings(BUCKET, PREFIX))) {
                while (true) {
                    if (job.getJobExecutionResult().isDone()) {
                        job.getJobExecutionResult().get(); // rethrows the failure, if any
                        break;
                    }
                    long step = latestStep(store);
                    if (step > lastSeen) {
                        lastSeen = step;
                        System.out.printf("checkpoint step %d published: s3://%s/%s/%s (%.0f s after start, %d images produced)%s%n",
                                step, BUCKET, PREFIX, CheckpointPublisher.folder(step),
                                (System.nanoTime() - started) / 1e9, produced.get(), probeScore(store, step));
                    }
                    if (maxSteps > 0 && step >= maxSteps) {
                        System.out.printf("reached --max-steps %d; stopping%n", maxSteps);
                        job.cancel().get(60, TimeUnit.SECONDS);
                        break;
                    }
                    if (maxMinutes > 0 && System.nanoTime() - jobStarted >= maxMinutes * 60e9) {
                        System.out.printf("reached --max-minutes %s; draining: the trainer publishes a final checkpoint%n",
                                given.text(MAX_MINUTES));
                        drain(job, workdir);
                        System.out.printf("final checkpoint step %d published (%.0f s after start)%n", latestStep(store),
                                (System.nanoTime() - started) / 1e9);
                        break;
                    }
                    if (stop.get()) {
                        System.out.println("stopping: cancelling the job; its checkpoints stay in " + workdir
                                + ", and the next run resumes from the newest");
                        job.cancel().get(60, TimeUnit.SECONDS);
                        awaitEnd(job);
                        break;
                    }
                    Thread.sleep(1000);
                }
            } finally {
                stop.set(true);
                producer.join(10_000);
                System.out.printf("demo finished after %.0f s; checkpoints are in %s%n",
                        (System.nanoTime() - started) / 1e9, s3.root().resolve(BUCKET).resolve(PREFIX));
                stopped.countDown();
            }
        }
        return 0;
    }

    /** Waits until a cancelled job has ended: no task, and so no libtorch call, runs any more. */
    private static void awaitEnd(JobClient job) throws InterruptedException {
        try {
            job.getJobExecutionResult().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // a cancelled job ends with an exception; a job that did not end in time is left to the exit
        }
    }

    /**
     * Stops the job the way {@code flink stop --drain} does: the source ends, the trainer trains
     * what it holds and emits a final snapshot, the publisher stores it, then a savepoint is taken.
     * Falls back to cancelling when the drain does not finish in time.
     */
    private static void drain(JobClient job, Path workdir) throws Exception {
        try {
            job.stopWithSavepoint(true, workdir.resolve("flink-savepoints").toUri().toString(),
                    SavepointFormatType.CANONICAL).get(5, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            System.err.println("drain did not complete (" + e.getMessage() + "); cancelling without a final checkpoint");
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** ", probe k-NN top-1 …" from the step's manifest, or "" when it has no score. */
    private static String probeScore(ObjectStore store, long step) {
        try {
            String key = CheckpointPublisher.folder(step) + Manifest.FILE;
            Optional<byte[]> bytes = store.get(key);
            if (bytes.isEmpty()) {
                return "";
            }
            Map<String, Double> e = Manifest.parse(bytes.get(), key).evaluation();
            if (!e.containsKey(ProbeScorer.TOP1) || !e.containsKey(ProbeScorer.SIZE)) {
                return "";
            }
            return String.format(", probe k-NN top-1 %.2f %% on %d images", e.get(ProbeScorer.TOP1),
                    e.get(ProbeScorer.SIZE).longValue());
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static long latestStep(ObjectStore store) {
        try {
            return Latest.read(store).map(Latest::step).orElse(-1L);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
