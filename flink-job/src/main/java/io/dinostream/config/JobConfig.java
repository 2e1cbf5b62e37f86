package io.dinostream.config;

import io.dinostream.augment.MultiCropPolicy;
import io.dinostream.model.ModelSpec;
import io.dinostream.train.DinoSchedules;
import io.dinostream.train.Optimizer;
import io.dinostream.train.StepWatchdog;
import io.dinostream.train.TrainerConfig;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.flink.connector.kafka.source.KafkaSourceOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Everything the job needs, typed and validated once at start. Built from command-line flags
 * ({@code --name value} or {@code --name=value}) over an optional properties file
 * ({@code --config FILE}, same names without the dashes) over the defaults. {@link #help()} lists
 * every option with its default. Any {@code --kafka.X} that is not one of the options below and is a
 * Kafka consumer or producer property goes to the Kafka clients unchanged (security.protocol,
 * sasl.*, ssl.*, …); any other name is refused, typos included. Secrets are never printed.
 *
 * <p>Defaults are a CPU recipe that learns within minutes on small images; {@code --recipe paper}
 * switches the model and schedules to the paper's (for GPUs).
 */
public final class JobConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** name → {default, description}, in help order. */
    private static final Map<String, String[]> OPTIONS = new LinkedHashMap<>();

    private static void option(String name, String defaultValue, String description) {
        OPTIONS.put(name, new String[] {defaultValue, description});
    }

    static {
        option("config", "", "properties file with any of these options (flags win)");
        option("recipe", "cpu", "cpu (small, fast-learning defaults) or paper (DINO paper hyper-parameters, for GPUs)");
        option("kafka.bootstrap-servers", "", "Kafka bootstrap servers, host:port[,host:port] (required)");
        option("kafka.topics", "images", "input topic(s), comma-separated");
        option("kafka.group-id", "dino-stream", "consumer group id (offsets live in Flink checkpoints)");
        option("kafka.starting-offsets", "earliest", "earliest, latest or committed (committed falls back to earliest)");
        option("kafka.bounded", "false", "stop at the offsets that are latest at start (batch over a topic)");
        option("kafka.dead-letter-topic", "images-dead-letters", "topic for events that cannot be used");
        option("ingest.max-bytes", "20971520", "largest accepted image payload in bytes");
        option("ingest.dead-letter-max-bytes", "262144", "a dead letter keeps at most this many bytes of the rejected"
                + " record (under Kafka's 1 MB default request size; the whole record stays in the input topic)");
        option("ingest.max-side", "8192", "largest accepted image side in pixels, checked before decoding");
        option("ingest.min-side", "8", "smallest accepted image side in pixels");
        option("ingest.max-id-bytes", "1024", "longest accepted event id in UTF-8 bytes");
        option("ingest.max-source-bytes", "1024", "longest accepted event source in UTF-8 bytes");
        option("ingest.max-label-bytes", "1024", "longest accepted event label in UTF-8 bytes");
        option("ingest.max-attributes", "64", "most attributes accepted on one event");
        option("ingest.max-attribute-key-bytes", "256", "longest accepted attribute key in UTF-8 bytes");
        option("ingest.max-attribute-value-bytes", "4096", "longest accepted attribute value in UTF-8 bytes");
        option("crops.global-size", "32", "global view side in pixels (paper: 224)");
        option("crops.local-size", "16", "local view side in pixels (paper: 96)");
        option("crops.global-count", "2", "global views per image (teacher sees these)");
        option("crops.local-count", "4", "local views per image (paper: 8)");
        option("crops.global-scale", "0.4,1.0", "area range of global crops");
        option("crops.local-scale", "0.05,0.4", "area range of local crops");
        option("crops.blur-sigma", "0.1,2.0", "Gaussian blur sigma range in pixels (paper: 0.1,2.0 for 224 px views; 0,0: no blur)");
        option("crops.parallelism", "1", "parallel multi-crop operators");
        option("model.backbone", "resnet10", "resnet10, resnet14, resnet18, resnet34 or resnet50");
        option("model.width", "16", "channels of the first ResNet stage (torchvision: 64)");
        option("model.small-stem", "true", "3x3 stride-1 stem without max-pool, for 28-64 px images");
        option("model.out-dim", "4096", "K, prototypes of the DINO head (paper: 65536)");
        option("model.hidden-dim", "512", "head MLP width (paper: 2048)");
        option("model.bottleneck-dim", "128", "head bottleneck (paper: 256)");
        option("model.head-bn", "true", "BatchNorm in the head (official --use_bn_in_head)");
        option("model.norm-last-layer", "true", "fix the prototypes' norm to 1 (paper: on)");
        option("train.batch-size", "32", "source images per training step");
        option("train.lr", "0.01", "learning rate per 256 images (scaled by batch/256; paper: 0.0005)");
        option("train.min-lr", "1e-6", "final learning rate of the cosine");
        option("train.warmup-steps", "50", "linear learning-rate warm-up steps");
        option("train.horizon-steps", "100000", "steps over which every cosine schedule runs");
        option("train.restart", "false", "restart the schedules at the horizon instead of holding");
        option("train.weight-decay", "0.04", "weight decay at step 0");
        option("train.weight-decay-end", "0.4", "weight decay at the horizon");
        option("train.teacher-momentum", "0.99", "teacher EMA momentum at step 0 (paper: 0.996)");
        option("train.teacher-momentum-end", "1.0", "teacher EMA momentum at the horizon (paper: 1)");
        option("train.teacher-temp", "0.02", "teacher temperature after warm-up (paper: 0.04-0.07)");
        option("train.warmup-teacher-temp", "0.02", "teacher temperature at step 0 (paper: 0.04)");
        option("train.teacher-temp-warmup-steps", "0", "steps of linear teacher-temperature warm-up");
        option("train.student-temp", "0.1", "student temperature");
        option("train.center-momentum", "0.9", "center EMA momentum");
        option("train.clip-grad", "3.0", "per-tensor gradient norm limit (0: off)");
        option("train.optimizer", "adamw", "adamw or sgd (momentum 0.9; the official ResNet recipe: --train.lr 0.03 --train.weight-decay 1e-4 --train.weight-decay-end 1e-4)");
        option("train.koleo-weight", "0", "weight of DINOv2's KoLeo regulariser on the student's global-view features (0: off)");
        option("train.freeze-last-layer-steps", "10", "steps with the prototypes frozen at start");
        option("train.max-steps", "0", "stop after this many steps, publish and finish (0: never)");
        option("train.seed", "0", "seed of initialisation and augmentation");
        option("train.watchdog-factor", "20", "a step that runs longer than this many times the median of the recent"
                + " steps, and longer than --train.watchdog-floor-seconds, fails the task (Flink restarts it)");
        option("train.watchdog-floor-seconds", "300", "no step counts as stalled before this many seconds (0: no watchdog)");
        option("monitor.probe", "stream", "online k-NN monitor probes: stream (labelled images held out of training),"
                + " an image source of labelled files (idx:PATH, folder:PATH), or off");
        option("monitor.holdout-percent", "2", "with --monitor.probe stream: share of labelled images held out, 0-100");
        option("monitor.probe-size", "1000", "most probe images kept (a uniform sample of those seen)");
        option("publish.uri", "file:///tmp/dino-stream/checkpoints", "where checkpoints go: s3://bucket/prefix or file:///path");
        option("publish.every-steps", "100", "publish a checkpoint every N steps (0: off)");
        option("publish.every-seconds", "600", "and/or every T seconds (0: off)");
        option("publish.retries", "8", "upload attempts per file before the publisher fails (backoff doubles from 1 s)");
        option("s3.endpoint", "", "S3 API endpoint, e.g. http://minio:9000 (empty: AWS)");
        option("s3.region", "us-east-1", "S3 region");
        option("s3.access-key", "", "S3 access key (default: env AWS_ACCESS_KEY_ID)");
        option("s3.secret-key", "", "S3 secret key (default: env AWS_SECRET_ACCESS_KEY)");
        option("s3.request-timeout-ms", "30000", "how long an S3 request waits for the server to answer (or take more"
                + " bytes) before that attempt fails and is retried");
        option("flink.checkpoint-interval-ms", "30000", "Flink checkpoint interval (0: off)");
        option("flink.checkpoint-dir", "", "durable checkpoint storage, e.g. file:///var/lib/dino/checkpoints (empty: the cluster's execution.checkpointing.dir)");
        option("flink.parallelism", "1", "default parallelism of the stateless operators");
        option("flink.resume-from", "", "a local run (./dinostream job) restores this checkpoint or savepoint, or with"
                + " 'newest' the newest completed checkpoint under --flink.checkpoint-dir (on a cluster: flink run -s)");
        option("flink.rest-port", "0", "REST port of a local run's Flink, on --web-bind (0: any free port)");
    }

    private static final List<String> SECRET_OPTIONS = List.of("s3.access-key", "s3.secret-key");

    /**
     * What --kafka.X may name: properties of the consumer and of Flink's Kafka source (which reads),
     * and of the producer (the dead-letter sink writes).
     */
    private static final Set<String> KAFKA_CLIENT_PROPERTIES = new TreeSet<>();

    static {
        KAFKA_CLIENT_PROPERTIES.addAll(ConsumerConfig.configNames());
        KAFKA_CLIENT_PROPERTIES.addAll(ProducerConfig.configNames());
        for (var option : List.of(KafkaSourceOptions.CLIENT_ID_PREFIX, KafkaSourceOptions.PARTITION_DISCOVERY_INTERVAL_MS,
                KafkaSourceOptions.REGISTER_KAFKA_CONSUMER_METRICS, KafkaSourceOptions.COMMIT_OFFSETS_ON_CHECKPOINT)) {
            KAFKA_CLIENT_PROPERTIES.add(option.key());
        }
    }

    private final Map<String, String> values;
    private final Map<String, String> kafkaProperties;

    private JobConfig(Map<String, String> values, Map<String, String> kafkaProperties) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.kafkaProperties = Collections.unmodifiableMap(new LinkedHashMap<>(kafkaProperties));
        validate();
    }

    /** Parses flags (and the --config file they name); null when --help was asked for. */
    public static JobConfig fromArgs(List<String> args) {
        return Flags.wantsHelp(args) ? null : fromFlags(Flags.parse(args));
    }

    /** A config from parsed flags over the --config file they name, over the defaults. */
    public static JobConfig fromFlags(Map<String, String> flags) {
        Map<String, String> merged = new LinkedHashMap<>();
        String file = flags.get("config");
        if (file != null && !file.isBlank()) {
            merged.putAll(readProperties(Path.of(file)));
        }
        merged.putAll(flags);
        return of(merged);
    }

    /** A config from option names (without dashes) to values; unknown non-kafka names fail. */
    public static JobConfig of(Map<String, String> settings) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> kafka = new LinkedHashMap<>();
        String recipe = settings.getOrDefault("recipe", OPTIONS.get("recipe")[0]);
        Map<String, String> recipeDefaults = recipeDefaults(recipe);
        OPTIONS.forEach((name, d) -> values.put(name, recipeDefaults.getOrDefault(name, d[0])));
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (OPTIONS.containsKey(e.getKey())) {
                values.put(e.getKey(), e.getValue().trim());
            } else if (e.getKey().startsWith("kafka.")) {
                String property = e.getKey().substring("kafka.".length());
                if (!KAFKA_CLIENT_PROPERTIES.contains(property)) {
                    // a typo here would otherwise pass silently to the clients, which ignore it
                    throw new IllegalArgumentException("unknown option --" + e.getKey() + ": neither a job option nor"
                            + " a Kafka consumer or producer property" + suggestion(e.getKey())
                            + " (run with --help for the list)");
                }
                kafka.put(property, e.getValue());
            } else {
                throw new IllegalArgumentException("unknown option --" + e.getKey() + suggestion(e.getKey())
                        + " (run with --help for the list)");
            }
        }
        return new JobConfig(values, kafka);
    }

    /** A copy with some options changed. */
    public JobConfig with(Map<String, String> changes) {
        Map<String, String> all = new LinkedHashMap<>(values);
        kafkaProperties.forEach((k, v) -> all.put("kafka." + k, v));
        all.putAll(changes);
        return of(all);
    }

    private static Map<String, String> recipeDefaults(String recipe) {
        return switch (recipe) {
            case "cpu" -> Map.of();
            case "paper" -> Map.ofEntries(
                    Map.entry("crops.global-size", "224"), Map.entry("crops.local-size", "96"),
                    Map.entry("crops.local-count", "8"), Map.entry("model.backbone", "resnet50"),
                    Map.entry("model.width", "64"), Map.entry("model.small-stem", "false"),
                    Map.entry("model.out-dim", "65536"), Map.entry("model.hidden-dim", "2048"),
                    Map.entry("model.bottleneck-dim", "256"), Map.entry("model.head-bn", "false"),
                    Map.entry("train.batch-size", "64"), Map.entry("train.lr", "0.0005"),
                    Map.entry("train.warmup-steps", "10000"), Map.entry("train.teacher-momentum", "0.996"),
                    Map.entry("train.warmup-teacher-temp", "0.04"), Map.entry("train.teacher-temp", "0.07"),
                    Map.entry("train.teacher-temp-warmup-steps", "30000"),
                    Map.entry("train.freeze-last-layer-steps", "1000"));
            default -> throw new IllegalArgumentException("--recipe must be cpu or paper, got '" + recipe + "'");
        };
    }

    private static String suggestion(String name) {
        List<String> candidates = new ArrayList<>(OPTIONS.keySet());
        KAFKA_CLIENT_PROPERTIES.forEach(property -> candidates.add("kafka." + property));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : candidates) {
            int d = distance(name, known);
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        return bestDistance <= 4 ? "; did you mean --" + best + "?" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1,
                        prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Map<String, String> readProperties(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --config " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> out = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /** Every option with its default and description. */
    public static String help() {
        StringBuilder sb = new StringBuilder("Options (flags --name value; a --config file uses the same names):\n");
        OPTIONS.forEach((name, d) -> sb.append(String.format("  --%-32s %s%n  %-34s default: %s%n", name, d[1], "",
                d[0].isEmpty() ? "(none)" : d[0])));
        sb.append("  --kafka.<property>                 any other Kafka consumer or producer property, passed through"
                + " (e.g. --kafka.security.protocol SASL_SSL)\n");
        return sb.toString();
    }

    private void validate() {
        positive("ingest.max-bytes");
        nonNegative("ingest.dead-letter-max-bytes");
        positive("ingest.max-side");
        positive("ingest.min-side");
        positive("ingest.max-id-bytes");
        positive("ingest.max-source-bytes");
        positive("ingest.max-label-bytes");
        nonNegative("ingest.max-attributes");
        positive("ingest.max-attribute-key-bytes");
        positive("ingest.max-attribute-value-bytes");
        positive("crops.parallelism");
        positive("train.batch-size");
        positive("train.horizon-steps");
        positive("flink.parallelism");
        nonNegative("train.max-steps");
        watchdogLimits();
        nonNegative("publish.every-steps");
        nonNegative("publish.every-seconds");
        positive("publish.retries");
        positive("s3.request-timeout-ms");
        nonNegative("flink.checkpoint-interval-ms");
        positive("monitor.probe-size");
        Optimizer.Kind.parse(get("train.optimizer"));
        double holdOut = getDouble("monitor.holdout-percent");
        if (holdOut < 0 || holdOut > 100) {
            throw new IllegalArgumentException("--monitor.holdout-percent must be between 0 and 100, got "
                    + get("monitor.holdout-percent"));
        }
        String probe = get("monitor.probe");
        if (!probe.equals("stream") && !probe.equals("off") && !probe.startsWith("idx:") && !probe.startsWith("folder:")
                && !probe.startsWith("synthetic")) {
            throw new IllegalArgumentException("--monitor.probe must be stream, off, idx:PATH or folder:PATH, got '"
                    + probe + "'");
        }
        if (!List.of("earliest", "latest", "committed").contains(get("kafka.starting-offsets"))) {
            throw new IllegalArgumentException("--kafka.starting-offsets must be earliest, latest or committed, got '"
                    + get("kafka.starting-offsets") + "'");
        }
        if (topics().isEmpty()) {
            throw new IllegalArgumentException("--kafka.topics needs at least one topic");
        }
        String uri = get("publish.uri");
        if (!uri.startsWith("s3://") && !uri.startsWith("file:///")) {
            throw new IllegalArgumentException("--publish.uri must be s3://bucket/prefix or file:///absolute/path, got '"
                    + uri + "'");
        }
        // Building these validates them with their own messages.
        cropPolicy();
        trainerConfig();
    }

    private void positive(String name) {
        if (getLong(name) <= 0) {
            throw new IllegalArgumentException("--" + name + " must be > 0, got " + get(name));
        }
    }

    private void nonNegative(String name) {
        if (getLong(name) < 0) {
            throw new IllegalArgumentException("--" + name + " must be >= 0, got " + get(name));
        }
    }

    public String get(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalStateException("no option " + name);
        }
        return v;
    }

    public long getLong(String name) {
        try {
            return Long.parseLong(get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + get(name) + "'");
        }
    }

    public int getInt(String name) {
        long v = getLong(name);
        if (v != (int) v) {
            throw new IllegalArgumentException("--" + name + " is too large: " + v);
        }
        return (int) v;
    }

    public double getDouble(String name) {
        try {
            double v = Double.parseDouble(get(name));
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, got '" + get(name) + "'");
        }
    }

    public boolean getBoolean(String name) {
        String v = get(name).toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("--" + name + " must be true or false, got '" + get(name) + "'");
        }
        return v.equals("true");
    }

    private double[] range(String name) {
        String[] parts = get(name).split(",");
        if (parts.length != 2) {
            throw new IllegalArgumentException("--" + name + " must be two numbers MIN,MAX, got '" + get(name) + "'");
        }
        try {
            return new double[] {Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim())};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be two numbers MIN,MAX, got '" + get(name) + "'");
        }
    }

    public List<String> topics() {
        List<String> out = new ArrayList<>();
        for (String t : get("kafka.topics").split(",")) {
            if (!t.isBlank()) {
                out.add(t.trim());
            }
        }
        return out;
    }

    /** Extra Kafka client properties (without the "kafka." prefix). */
    public Map<String, String> kafkaProperties() {
        return kafkaProperties;
    }

    public MultiCropPolicy cropPolicy() {
        double[] g = range("crops.global-scale");
        double[] l = range("crops.local-scale");
        double[] blur = range("crops.blur-sigma");
        return MultiCropPolicy.builder()
                .globalSize(getInt("crops.global-size"))
                .localSize(getInt("crops.local-size"))
                .globalCount(getInt("crops.global-count"))
                .localCount(getInt("crops.local-count"))
                .globalScale(g[0], g[1])
                .localScale(l[0], l[1])
                .blurSigma(blur[0], blur[1])
                .build();
    }

    public ModelSpec modelSpec() {
        return new ModelSpec(get("model.backbone"), getInt("model.width"), getBoolean("model.small-stem"),
                getInt("model.out-dim"), getInt("model.hidden-dim"), getInt("model.bottleneck-dim"), 3,
                getBoolean("model.norm-last-layer"), getBoolean("model.head-bn"));
    }

    public int batchSize() {
        return getInt("train.batch-size");
    }

    /** When the trainer's step watchdog fails the task (see {@link StepWatchdog}). */
    public StepWatchdog.Limits watchdogLimits() {
        try {
            return new StepWatchdog.Limits(getDouble("train.watchdog-factor"), getDouble("train.watchdog-floor-seconds"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--train.watchdog-factor and --train.watchdog-floor-seconds must be >= 0,"
                    + " got " + get("train.watchdog-factor") + " and " + get("train.watchdog-floor-seconds"), e);
        }
    }

    public TrainerConfig trainerConfig() {
        DinoSchedules schedules = DinoSchedules.continual(getLong("train.horizon-steps"))
                .lr(getDouble("train.lr"), batchSize(), getDouble("train.min-lr"), getLong("train.warmup-steps"))
                .weightDecay(getDouble("train.weight-decay"), getDouble("train.weight-decay-end"))
                .teacherMomentum(getDouble("train.teacher-momentum"), getDouble("train.teacher-momentum-end"))
                .teacherTemp(getDouble("train.warmup-teacher-temp"), getDouble("train.teacher-temp"),
                        getLong("train.teacher-temp-warmup-steps"))
                .freezeLastLayer(getLong("train.freeze-last-layer-steps"))
                .restart(getBoolean("train.restart"))
                .build();
        return TrainerConfig.builder()
                .model(modelSpec())
                .schedules(schedules)
                .views(getInt("crops.global-count"), getInt("crops.local-count"))
                .studentTemp(getDouble("train.student-temp"))
                .centerMomentum(getDouble("train.center-momentum"))
                .clipGrad(getDouble("train.clip-grad"))
                .koleoWeight(getDouble("train.koleo-weight"))
                .optimizer(Optimizer.Kind.parse(get("train.optimizer")))
                .seed(getLong("train.seed"))
                .build();
    }

    /** The options with secrets masked, for manifests and logs. */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>(values);
        for (String secret : SECRET_OPTIONS) {
            if (!out.get(secret).isEmpty()) {
                out.put(secret, "***");
            }
        }
        kafkaProperties.forEach((k, v) -> out.put("kafka." + k, holdsSecret(k) ? "***" : v));
        return out;
    }

    /** Kafka client properties whose values are secrets: passwords, JAAS configs, inline keys. */
    private static boolean holdsSecret(String property) {
        String p = property.toLowerCase(Locale.ROOT);
        return p.contains("password") || p.contains("secret") || p.contains("jaas") || p.contains("token")
                || p.endsWith(".key") || p.endsWith("keystore.certificate.chain");
    }

    @Override
    public String toString() {
        return "JobConfig" + describe();
    }
}
