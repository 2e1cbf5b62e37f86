package io.dinostream;

import io.dinostream.augment.MultiCrop;
import io.dinostream.config.Flags;
import io.dinostream.config.JobConfig;
import io.dinostream.ingest.DeadLetterRecords;
import io.dinostream.ingest.DecodeImage;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.FieldLimits;
import io.dinostream.ingest.RawRecordDeserializer;
import io.dinostream.monitor.HoldOutProbes;
import io.dinostream.monitor.ProbeMonitor;
import io.dinostream.proto.DeadLetter;
import io.dinostream.publish.PublishCheckpoints;
import io.dinostream.publish.S3Settings;
import io.dinostream.train.StreamingTrainer;
import io.dinostream.train.TrainDino;
import io.dinostream.types.CropSet;
import io.dinostream.types.DecodedImage;
import io.dinostream.types.ModelSnapshot;
import io.dinostream.types.RawRecord;
import io.dinostream.types.StreamTypes;
import io.dinostream.types.TrainingReport;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.Map;

/**
 * The DINO Stream job: Kafka → DecodeImage (bad input → dead-letter topic) → HoldOutProbes
 * (a labelled slice → the monitor) → MultiCrop → TrainDino (parallelism 1, all state in Flink) →
 * ProbeMonitor (k-NN score of each snapshot) → PublishCheckpoints (its own task), with the
 * training reports as a second output. {@link #build} takes the ends as arguments, so tests and the demo run the very
 * same graph with other ends; {@link #main} runs it against real Kafka and object storage, e.g.
 * with {@code flink run}.
 */
public final class DinoStreamJob {

    /** The job's ends: where events come from and where its outputs go. */
    public record Ends(
            Source<RawRecord, ?, ?> events,
            Sink<DeadLetter> deadLetters,
            Sink<ModelSnapshot> checkpoints,
            Sink<TrainingReport> reports) {}

    private static final Logger LOG = LoggerFactory.getLogger(DinoStreamJob.class);

    /** Where a Flink started in this process listens unless {@code --web-bind} says otherwise. */
    public static final String LOCAL_WEB_BIND = "127.0.0.1";

    static final String WEB_BIND_HELP = """
            When the job runs in this process (not submitted to a cluster):
              --web-bind ADDRESS  address the local Flink's REST API, dashboard and BlobServer listen on
                                  (default: 127.0.0.1). They have no login, and anyone who reaches the
                                  REST API can cancel the job or shut Flink down: bind another address
                                  only on a trusted network or behind an authenticating proxy.""";

    private DinoStreamJob() {}

    public static void main(String[] args) throws Exception {
        JobConfig config;
        String webBind;
        try {
            if (Flags.wantsHelp(List.of(args))) {
                System.out.println("DINO Stream job\n\n" + JobConfig.help() + "\n" + WEB_BIND_HELP);
                return;
            }
            Map<String, String> flags = Flags.parse(List.of(args));
            webBind = checkWebBind(flags.containsKey("web-bind") ? flags.remove("web-bind") : LOCAL_WEB_BIND);
            config = JobConfig.fromFlags(flags);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (env instanceof LocalStreamEnvironment) {
            // Not submitted to a cluster: Flink starts in this process, and its endpoints are ours to bind.
            env = StreamExecutionEnvironment.createLocalEnvironment(localRun(config, webBind));
            warnIfReachable(webBind);
        }
        configure(env, config);
        build(env, config, kafkaEnds(config));
        env.execute("DINO Stream");
    }

    /**
     * What a run outside a cluster ({@code ./dinostream job}) takes from the options besides
     * {@link #localClusterOptions}: its REST port, checkpoints kept when the process dies or is
     * cancelled, and the checkpoint to resume from ({@code --flink.resume-from}). A cluster's own
     * configuration decides these when the jar is submitted there.
     */
    static Configuration localRun(JobConfig config, String webBind) throws IOException {
        Configuration flink = localClusterOptions(webBind);
        flink.set(RestOptions.PORT, config.getInt("flink.rest-port"));
        flink.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        String resume = config.get("flink.resume-from").trim();
        if (resume.equals("newest")) {
            String dir = config.get("flink.checkpoint-dir");
            if (dir.isBlank()) {
                throw new IllegalArgumentException("--flink.resume-from newest needs --flink.checkpoint-dir");
            }
            Optional<Path> newest = newestCheckpoint(Path.of(URI.create(dir)));
            if (newest.isPresent()) {
                resume = newest.get().toUri().toString();
                LOG.info("resuming from the newest checkpoint {}", resume);
            } else {
                resume = "";
                LOG.info("no completed checkpoint under {} yet: starting from the beginning", dir);
            }
        }
        if (!resume.isEmpty()) {
            flink.set(StateRecoveryOptions.SAVEPOINT_PATH, resume);
        }
        return flink;
    }

    /** The newest completed Flink checkpoint (a chk-N folder with its _metadata) under dir. */
    public static Optional<Path> newestCheckpoint(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (var files = Files.find(dir, 3, (p, a) -> p.getFileName().toString().equals("_metadata"))) {
            return files.max(java.util.Comparator.comparing(p -> p.toFile().lastModified())).map(Path::getParent);
        }
    }

    /**
     * Flink options for a Flink started in this process (the demo, {@code job} outside a cluster):
     * its REST API and dashboard, and its BlobServer, listen on bindAddress only; the dashboard
     * takes no jars and shows no cancel or rescale buttons. Flink has no login of its own, and the
     * REST API itself still cancels jobs and shuts the cluster down for anyone who reaches it, so
     * the address is what protects it. The RPC services of a one-TaskManager local Flink are
     * in-process and open no port.
     */
    public static Configuration localClusterOptions(String bindAddress) {
        String bind = checkWebBind(bindAddress);
        String reachAt = isWildcard(bind) ? "localhost" : bind;
        Configuration flink = new Configuration();
        flink.set(RestOptions.BIND_ADDRESS, bind);
        flink.set(RestOptions.ADDRESS, reachAt);
        flink.set(JobManagerOptions.BIND_HOST, bind); // the BlobServer's socket
        flink.set(TaskManagerOptions.BIND_HOST, bind);
        flink.set(TaskManagerOptions.HOST, reachAt);
        flink.set(WebOptions.SUBMIT_ENABLE, false);
        flink.set(WebOptions.CANCEL_ENABLE, false);
        flink.set(WebOptions.RESCALE_ENABLE, false);
        return flink;
    }

    /** Prints a warning when a local Flink's unauthenticated endpoints listen beyond loopback. */
    public static void warnIfReachable(String bindAddress) {
        if (!isLoopback(bindAddress)) {
            System.err.println("warning: the Flink REST API and dashboard listen on " + bindAddress
                    + " without any login: whoever reaches them can cancel the job or shut Flink down."
                    + " Keep --web-bind 127.0.0.1 and use an SSH tunnel, or put an authenticating proxy in front.");
        }
    }

    private static String checkWebBind(String address) {
        String a = address == null ? "" : address.trim();
        if (a.isEmpty() || a.contains("/") || a.contains(" ")) {
            throw new IllegalArgumentException("--web-bind must be an address of this machine, e.g. 127.0.0.1 (the"
                    + " default) or 0.0.0.0 for every interface, got '" + address + "'");
        }
        return a;
    }

    private static boolean isWildcard(String address) {
        return address.equals("0.0.0.0") || address.equals("::") || address.equals("[::]");
    }

    private static boolean isLoopback(String address) {
        return address.equals("localhost") || address.startsWith("127.") || address.equals("::1")
                || address.equals("[::1]");
    }

    /**
     * Checkpointing and parallelism from the config. The trainer's state (models and optimiser
     * moments, megabytes) does not fit Flink's in-memory checkpoint storage, so checkpointing needs
     * a directory: {@code --flink.checkpoint-dir} or the cluster's own.
     */
    public static void configure(StreamExecutionEnvironment env, JobConfig config) {
        long interval = config.getLong("flink.checkpoint-interval-ms");
        if (interval > 0) {
            String dir = config.get("flink.checkpoint-dir");
            if (!dir.isBlank()) {
                Configuration storage = new Configuration();
                storage.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir);
                env.configure(storage);
            } else if (env.getConfiguration().getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isEmpty()) {
                throw new IllegalArgumentException("checkpoints need durable storage: the trainer's state does not fit"
                        + " Flink's in-memory checkpoint storage. Set --flink.checkpoint-dir (e.g."
                        + " file:///var/lib/dino-stream/checkpoints) or execution.checkpointing.dir in the Flink"
                        + " configuration, or turn checkpoints off with --flink.checkpoint-interval-ms 0");
            }
            env.enableCheckpointing(interval);
        }
        env.setParallelism(config.getInt("flink.parallelism"));
    }

    /** Adds the job's graph to env. */
    public static void build(StreamExecutionEnvironment env, JobConfig config, Ends ends) {
        DecodeLimits limits = new DecodeLimits(config.getInt("ingest.max-bytes"), config.getInt("ingest.max-side"),
                config.getInt("ingest.min-side"));
        SingleOutputStreamOperator<DecodedImage> decoded = env
                .fromSource(ends.events(), WatermarkStrategy.noWatermarks(), "Kafka images")
                .uid("kafka-images")
                .process(new DecodeImage(limits, fieldLimits(config), config.getInt("ingest.dead-letter-max-bytes")), StreamTypes.DECODED_IMAGE)
                .name("DecodeImage")
                .uid("decode-image");
        decoded.getSideOutput(DecodeImage.DEAD_LETTERS).sinkTo(ends.deadLetters()).name("DeadLetters").uid("dead-letters");

        // The monitor's probes: labelled images held out of training (none unless --monitor.probe stream).
        String probe = config.get("monitor.probe");
        SingleOutputStreamOperator<DecodedImage> training = decoded
                .process(new HoldOutProbes(probe.equals(ProbeMonitor.FROM_STREAM)
                        ? config.getDouble("monitor.holdout-percent") : 0), StreamTypes.DECODED_IMAGE)
                .name("HoldOutProbes")
                .uid("hold-out-probes");

        int cropParallelism = config.getInt("crops.parallelism");
        SingleOutputStreamOperator<CropSet> crops = training
                .map(new MultiCrop(config.cropPolicy(), config.getLong("train.seed")), StreamTypes.CROP_SET)
                .name("MultiCrop")
                .uid("multi-crop")
                .setParallelism(cropParallelism);

        StreamingTrainer.Policy policy = new StreamingTrainer.Policy(config.batchSize(),
                config.getLong("publish.every-steps"), config.getLong("publish.every-seconds"),
                config.getLong("train.max-steps"));
        SingleOutputStreamOperator<TrainingReport> reports = crops
                .transform("TrainDino", StreamTypes.TRAINING_REPORT, new TrainDino(config.trainerConfig(), policy, config.watchdogLimits()))
                .uid("train-dino")
                .setParallelism(1)
                .setMaxParallelism(1);
        reports.sinkTo(ends.reports()).name("TrainingReports").uid("training-reports").setParallelism(1);
        DataStream<ModelSnapshot> snapshots = reports.getSideOutput(TrainDino.SNAPSHOTS);
        if (!probe.equals("off")) {
            snapshots = snapshots
                    .connect(training.getSideOutput(HoldOutProbes.PROBES))
                    .transform("ProbeMonitor", StreamTypes.MODEL_SNAPSHOT, new ProbeMonitor(probe,
                            config.getInt("monitor.probe-size"), config.modelSpec(), config.getInt("crops.global-size")))
                    .uid("probe-monitor")
                    .setParallelism(1)
                    .setMaxParallelism(1);
        }
        // Scoring and uploads run in tasks of their own, never on the training thread.
        snapshots.sinkTo(ends.checkpoints())
                .name("PublishCheckpoints")
                .uid("publish-checkpoints")
                .setParallelism(1)
                .disableChaining();
    }

    /** Bounds on the events' text fields, from the ingest.max-*-bytes and ingest.max-attributes options. */
    static FieldLimits fieldLimits(JobConfig config) {
        return new FieldLimits(config.getInt(FieldLimits.MAX_ID_BYTES_KEY), config.getInt(FieldLimits.MAX_SOURCE_BYTES_KEY),
                config.getInt(FieldLimits.MAX_LABEL_BYTES_KEY), config.getInt(FieldLimits.MAX_ATTRIBUTES_KEY),
                config.getInt(FieldLimits.MAX_ATTRIBUTE_KEY_BYTES_KEY),
                config.getInt(FieldLimits.MAX_ATTRIBUTE_VALUE_BYTES_KEY));
    }

    /** The production ends: Kafka in, dead letters to Kafka, checkpoints to the object store. */
    public static Ends kafkaEnds(JobConfig config) {
        String servers = config.get("kafka.bootstrap-servers");
        if (servers.isBlank()) {
            throw new IllegalArgumentException("--kafka.bootstrap-servers is required, e.g. --kafka.bootstrap-servers kafka:9092");
        }
        KafkaSourceBuilder<RawRecord> source = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(servers)
                .setTopics(config.topics())
                .setGroupId(config.get("kafka.group-id"))
                .setStartingOffsets(switch (config.get("kafka.starting-offsets")) {
                    case "latest" -> OffsetsInitializer.latest();
                    case "committed" -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
                    default -> OffsetsInitializer.earliest();
                })
                .setDeserializer(new RawRecordDeserializer());
        if (config.getBoolean("kafka.bounded")) {
            source.setBounded(OffsetsInitializer.latest());
        }
        config.kafkaProperties().forEach(source::setProperty);
        KafkaSink<DeadLetter> deadLetters = KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(servers)
                .setRecordSerializer(new DeadLetterRecords(config.get("kafka.dead-letter-topic")))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setKafkaProducerConfig(producerProperties(config))
                .build();
        // Reports are logged and exposed as metrics by TrainDino; nothing else consumes them yet.
        return new Ends(source.build(), deadLetters, checkpointSink(config), new DiscardingSink<>());
    }

    /** The publisher for the configured store. */
    public static PublishCheckpoints checkpointSink(JobConfig config) {
        S3Settings s3 = new S3Settings(config.get("s3.endpoint"), config.get("s3.region"),
                config.get("s3.access-key"), config.get("s3.secret-key"), "", "", true,
                config.getLong("s3.request-timeout-ms"));
        return new PublishCheckpoints(config.get("publish.uri"), s3, config.describe(), config.getInt("publish.retries"));
    }

    private static java.util.Properties producerProperties(JobConfig config) {
        java.util.Properties p = new java.util.Properties();
        p.putAll(config.kafkaProperties());
        return p;
    }
}
