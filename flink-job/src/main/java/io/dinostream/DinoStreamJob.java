package io.dinostream;

import io.dinostream.augment.MultiCrop;
import io.dinostream.config.Flags;
import io.dinostream.ingest.DeadLetterRecords;
import io.dinostream.ingest.DecodeImage;
import io.dinostream.ingest.IngestSettings;
import io.dinostream.ingest.KafkaSettings;
import io.dinostream.ingest.RawRecordDeserializer;
import io.dinostream.monitor.HoldOutProbes;
import io.dinostream.monitor.MonitorSettings;
import io.dinostream.monitor.ProbeMonitor;
import io.dinostream.proto.DeadLetter;
import io.dinostream.publish.PublishCheckpoints;
import io.dinostream.publish.PublishSettings;
import io.dinostream.replay.ReplayStage;
import org.apache.flink.api.common.typeinfo.Types;
import io.dinostream.train.TrainDino;
import io.dinostream.train.TrainerSettings;
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
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExecutionOptions;
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
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

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
 * (a labelled slice → the monitor) → Replay (new images and replays from a buffer) → MultiCrop → TrainDino (parallelism 1, all state in Flink) →
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
            env = StreamExecutionEnvironment.createLocalEnvironment(localRun(config.flink(), webBind));
            warnIfReachable(webBind);
        }
        configure(env, config.flink());
        build(env, config, kafkaEnds(config));
        env.execute("DINO Stream");
    }

    /**
     * What a run outside a cluster ({@code ./dinostream job}) takes from the options besides
     * {@link #localClusterOptions}: its REST port, checkpoints kept when the process dies or is
     * cancelled, and the checkpoint to resume from ({@code --flink.resume-from}). A cluster's own
     * configuration decides these when the jar is submitted there.
     */
    public static Configuration localRun(FlinkSettings settings, String webBind) throws IOException {
        Configuration flink = localClusterOptions(webBind);
        flink.set(RestOptions.PORT, settings.restPort());
        // Without --flink.parallelism a local Flink would run one of each operator per core.
        flink.set(CoreOptions.DEFAULT_PARALLELISM, settings.parallelism() > 0 ? settings.parallelism() : 1);
        flink.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        String resume = settings.resumeFrom();
        if (resume.equals(FlinkSettings.NEWEST)) {
            String dir = settings.checkpointDir();
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
     * Checkpointing and parallelism from the config, and compressed snapshots. The trainer's state
     * (models and optimiser moments, megabytes) does not fit Flink's in-memory checkpoint storage, so
     * checkpointing needs a directory: {@code --flink.checkpoint-dir} or the cluster's own.
     */
    public static void configure(StreamExecutionEnvironment env, FlinkSettings settings) {
        if (settings.checkpointing()) {
            String dir = settings.checkpointDir();
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
            env.enableCheckpointing(settings.checkpointIntervalMillis());
        }
        if (settings.parallelism() > 0) {
            env.setParallelism(settings.parallelism());
        }
        // Flink 2.2 reads uncompressed operator state back with one read() call on the file per byte
        // (its CompressibleFSDataInputStream has no read(byte[], int, int)), and the trainer's state is
        // one byte array of megabytes: 14 MB took 8 s to restore from a local disk, after a failure or
        // from a savepoint. Compressed, the bytes come out of Snappy's buffer: 0.7 s. Checkpoints and
        // savepoints taken without compression restore as before.
        Configuration snapshots = new Configuration();
        snapshots.set(ExecutionOptions.SNAPSHOT_COMPRESSION, true);
        env.configure(snapshots);
    }

    /** Adds the job's graph to env: each stage from its settings in config. */
    public static void build(StreamExecutionEnvironment env, JobConfig config, Ends ends) {
        IngestSettings ingest = config.ingest();
        SingleOutputStreamOperator<DecodedImage> decoded = env
                .fromSource(ends.events(), WatermarkStrategy.noWatermarks(), "Kafka images")
                .uid("kafka-images")
                .process(new DecodeImage(ingest.decodeLimits(), ingest.fieldLimits(), ingest.deadLetterMaxBytes()),
                        StreamTypes.DECODED_IMAGE)
                .name("DecodeImage")
                .uid("decode-image");
        decoded.getSideOutput(DecodeImage.DEAD_LETTERS).sinkTo(ends.deadLetters()).name("DeadLetters").uid("dead-letters");

        // The monitor's probes: labelled images held out of training (none unless --monitor.probe stream).
        MonitorSettings monitor = config.monitor();
        SingleOutputStreamOperator<DecodedImage> training = decoded
                .process(new HoldOutProbes(monitor.heldOutPercent()), StreamTypes.DECODED_IMAGE)
                .name("HoldOutProbes")
                .uid("hold-out-probes");

        // Replay (parallelism 1, its buffer in keyed state under one key): each new image, then
        // stored images again, so that batches are not one run of the stream (--replay.fraction 0: off).
        // With one upstream task the stream is already "keyed" (one key, one task) and the stage
        // chains to it: no network exchange, whose buffered images would hold back checkpoint
        // barriers behind the trainer. More upstream tasks need the exchange to meet in one anyway.
        TrainerSettings trainer = config.trainer();
        KeyedStream<DecodedImage, Integer> oneKey = training.getParallelism() == 1
                ? DataStreamUtils.reinterpretAsKeyedStream(training, new ReplayStage.OneKey(), Types.INT)
                : training.keyBy(new ReplayStage.OneKey(), Types.INT);
        SingleOutputStreamOperator<DecodedImage> replayed = oneKey
                .process(new ReplayStage(config.replay(), trainer.seed()), StreamTypes.DECODED_IMAGE)
                .name("Replay")
                .uid("replay")
                .setParallelism(1)
                .setMaxParallelism(1);

        SingleOutputStreamOperator<CropSet> crops = replayed
                .map(new MultiCrop(config.crops().policy(), trainer.seed()), StreamTypes.CROP_SET)
                .name("MultiCrop")
                .uid("multi-crop")
                .setParallelism(config.crops().parallelism());

        PublishSettings publish = config.publish();
        SingleOutputStreamOperator<TrainingReport> reports = crops
                .transform("TrainDino", StreamTypes.TRAINING_REPORT, new TrainDino(config.trainerConfig(),
                        trainer.policy(publish.everySteps(), publish.everySeconds()), trainer.watchdog()))
                .uid("train-dino")
                .setParallelism(1)
                .setMaxParallelism(1);
        // On a cluster with GPU TaskManagers: the trainer (and the monitor, which embeds on its device)
        // in a slot sharing group of their own, so the CPU stages take other slots (k8s/dino-stream-gpu.yaml).
        inGroup(reports, trainer);
        reports.sinkTo(ends.reports()).name("TrainingReports").uid("training-reports").setParallelism(1);
        DataStream<ModelSnapshot> snapshots = reports.getSideOutput(TrainDino.SNAPSHOTS);
        if (monitor.enabled()) {
            snapshots = snapshots
                    .connect(training.getSideOutput(HoldOutProbes.PROBES))
                    .transform("ProbeMonitor", StreamTypes.MODEL_SNAPSHOT, new ProbeMonitor(monitor.probe(),
                            monitor.probeSize(), config.model().spec(), config.crops().policy().globalSize(),
                            trainer.device()))
                    .uid("probe-monitor")
                    .setParallelism(1)
                    .setMaxParallelism(1);
            inGroup((SingleOutputStreamOperator<ModelSnapshot>) snapshots, trainer);
        }
        // Scoring and uploads run in tasks of their own, never on the training thread.
        snapshots.sinkTo(ends.checkpoints())
                .name("PublishCheckpoints")
                .uid("publish-checkpoints")
                .setParallelism(1)
                .disableChaining();
    }

    /**
     * Puts an operator in the trainer's slot sharing group, with the resources it declares; none
     * named leaves it in the default one.
     */
    private static void inGroup(SingleOutputStreamOperator<?> operator, TrainerSettings trainer) {
        if (!trainer.slotSharingGroup().isEmpty()) {
            operator.slotSharingGroup(trainer.slotResources().group(trainer.slotSharingGroup()));
        }
    }

    /** The production ends: Kafka in, dead letters to Kafka, checkpoints to the object store. */
    public static Ends kafkaEnds(JobConfig config) {
        KafkaSettings kafka = config.kafka();
        String servers = kafka.requireBootstrapServers();
        KafkaSourceBuilder<RawRecord> source = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(servers)
                .setTopics(kafka.topics())
                .setGroupId(kafka.groupId())
                .setStartingOffsets(kafka.startingOffsets().initializer())
                .setDeserializer(new RawRecordDeserializer());
        if (kafka.bounded()) {
            source.setBounded(OffsetsInitializer.latest());
        }
        kafka.clientProperties().forEach(source::setProperty);
        KafkaSink<DeadLetter> deadLetters = KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(servers)
                .setRecordSerializer(new DeadLetterRecords(kafka.deadLetterTopic()))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setKafkaProducerConfig(kafka.producerProperties())
                .build();
        // Reports are logged and exposed as metrics by TrainDino; nothing else consumes them yet.
        return new Ends(source.build(), deadLetters, checkpointSink(config.publish(), config.describe()),
                new DiscardingSink<>());
    }

    /**
     * The publisher for the configured store; every manifest records manifestConfig (the job's
     * options, secrets masked).
     */
    public static PublishCheckpoints checkpointSink(PublishSettings publish, Map<String, String> manifestConfig) {
        return new PublishCheckpoints(publish.uri(), publish.s3(), manifestConfig, publish.retries());
    }
}
