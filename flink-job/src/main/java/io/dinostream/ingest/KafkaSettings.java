package io.dinostream.ingest;

import io.dinostream.config.Option;
import io.dinostream.config.OptionValues;
import io.dinostream.config.PassThrough;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.connector.kafka.source.KafkaSourceOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Where the job reads images and writes dead letters ({@code kafka.*}), and the Kafka client
 * properties passed through unchanged: any {@code --kafka.X} that is not one of the options below
 * and is a property of the consumer, of Flink's Kafka source or of the producer (security.protocol,
 * sasl.*, ssl.*, …). Any other {@code kafka.} name is refused, typos included, since the clients
 * would ignore it silently. Immutable and checked when built.
 *
 * @param bootstrapServers host:port[,host:port]; blank until the job needs it (see {@link
 *     #requireBootstrapServers()})
 * @param topics input topics, at least one
 * @param groupId consumer group id (offsets live in Flink checkpoints)
 * @param startingOffsets where a fresh consumer starts
 * @param bounded stop at the offsets that are latest at start
 * @param deadLetterTopic topic for events that cannot be used
 * @param clientProperties Kafka client properties, without the {@code kafka.} prefix
 */
public record KafkaSettings(
        String bootstrapServers,
        List<String> topics,
        String groupId,
        StartingOffsets startingOffsets,
        boolean bounded,
        String deadLetterTopic,
        Map<String, String> clientProperties) {

    /** Where a consumer without a committed offset starts. */
    public enum StartingOffsets {
        EARLIEST,
        LATEST,
        /** The group's committed offsets, else the earliest. */
        COMMITTED;

        /** Flink's initializer for this choice. */
        public OffsetsInitializer initializer() {
            return switch (this) {
                case EARLIEST -> OffsetsInitializer.earliest();
                case LATEST -> OffsetsInitializer.latest();
                case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            };
        }
    }

    private static final String PREFIX = "kafka.";

    public static final Option<String> BOOTSTRAP_SERVERS = Option.text("kafka.bootstrap-servers", "",
            "Kafka bootstrap servers, host:port[,host:port] (required)");
    public static final Option<List<String>> TOPICS = Option.list("kafka.topics", "images",
            "input topic(s), comma-separated")
            .check(topics -> !topics.isEmpty(), text -> "--kafka.topics needs at least one topic");
    public static final Option<String> GROUP_ID = Option.text("kafka.group-id", "dino-stream",
            "consumer group id (offsets live in Flink checkpoints)");
    public static final Option<StartingOffsets> STARTING_OFFSETS = Option.parsedBy("kafka.starting-offsets",
            "earliest", "earliest, latest or committed (committed falls back to earliest)", text -> {
                if (!List.of("earliest", "latest", "committed").contains(text)) {
                    throw new IllegalArgumentException(
                            "--kafka.starting-offsets must be earliest, latest or committed, got '" + text + "'");
                }
                return StartingOffsets.valueOf(text.toUpperCase(Locale.ROOT));
            });
    public static final Option<Boolean> BOUNDED = Option.bool("kafka.bounded", "false",
            "stop at the offsets that are latest at start (batch over a topic)");
    public static final Option<String> DEAD_LETTER_TOPIC = Option.text("kafka.dead-letter-topic",
            "images-dead-letters", "topic for events that cannot be used");

    /** The kafka.* options, in help order. */
    public static final List<Option<?>> OPTIONS =
            List.of(BOOTSTRAP_SERVERS, TOPICS, GROUP_ID, STARTING_OFFSETS, BOUNDED, DEAD_LETTER_TOPIC);

    /**
     * What --kafka.X may name besides the options: properties of the consumer and of Flink's Kafka
     * source (which reads), and of the producer (the dead-letter sink writes).
     */
    public static final Set<String> CLIENT_PROPERTY_NAMES;

    static {
        Set<String> names = new TreeSet<>();
        names.addAll(ConsumerConfig.configNames());
        names.addAll(ProducerConfig.configNames());
        for (var option : List.of(KafkaSourceOptions.CLIENT_ID_PREFIX, KafkaSourceOptions.PARTITION_DISCOVERY_INTERVAL_MS,
                KafkaSourceOptions.REGISTER_KAFKA_CONSUMER_METRICS, KafkaSourceOptions.COMMIT_OFFSETS_ON_CHECKPOINT)) {
            names.add(option.key());
        }
        CLIENT_PROPERTY_NAMES = Collections.unmodifiableSet(names);
    }

    /** The pass-through of Kafka client properties, their secrets masked in describe(). */
    public static final PassThrough CLIENT_PROPERTIES = PassThrough.prefixed(PREFIX, CLIENT_PROPERTY_NAMES,
                    // a typo here would otherwise pass silently to the clients, which ignore it
                    name -> "unknown option --" + name + ": neither a job option nor a Kafka consumer or producer"
                            + " property")
            .secretWhen(name -> holdsSecret(name.substring(PREFIX.length())))
            .help("kafka.<property>", "any other Kafka consumer or producer property, passed through"
                    + " (e.g. --kafka.security.protocol SASL_SSL)");

    public KafkaSettings {
        bootstrapServers = BOOTSTRAP_SERVERS.require(bootstrapServers.trim());
        topics = TOPICS.require(List.copyOf(topics));
        groupId = GROUP_ID.require(groupId);
        startingOffsets = java.util.Objects.requireNonNull(startingOffsets);
        deadLetterTopic = DEAD_LETTER_TOPIC.require(deadLetterTopic);
        for (String property : clientProperties.keySet()) {
            if (!CLIENT_PROPERTY_NAMES.contains(property)) {
                throw new IllegalArgumentException("'" + property + "' is not a Kafka consumer or producer property");
            }
        }
        clientProperties = Collections.unmodifiableMap(new LinkedHashMap<>(clientProperties));
    }

    /** The kafka.* options and the client properties passed through. */
    public static KafkaSettings from(OptionValues values) {
        Map<String, String> properties = new LinkedHashMap<>();
        values.passedThrough().forEach((name, value) -> {
            if (name.startsWith(PREFIX)) {
                properties.put(name.substring(PREFIX.length()), value);
            }
        });
        return new KafkaSettings(values.get(BOOTSTRAP_SERVERS), values.get(TOPICS), values.get(GROUP_ID),
                values.get(STARTING_OFFSETS), values.get(BOUNDED), values.get(DEAD_LETTER_TOPIC), properties);
    }

    /** The bootstrap servers, or a failure saying how to give them. */
    public String requireBootstrapServers() {
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException(
                    "--kafka.bootstrap-servers is required, e.g. --kafka.bootstrap-servers kafka:9092");
        }
        return bootstrapServers;
    }

    /** The client properties for a Kafka producer. */
    public Properties producerProperties() {
        Properties p = new Properties();
        p.putAll(clientProperties);
        return p;
    }

    /** Kafka client properties whose values are secrets: passwords, JAAS configs, inline keys. */
    static boolean holdsSecret(String property) {
        String p = property.toLowerCase(Locale.ROOT);
        return p.contains("password") || p.contains("secret") || p.contains("jaas") || p.contains("token")
                || p.endsWith(".key") || p.endsWith("keystore.certificate.chain");
    }

    @Override
    public String toString() {
        Map<String, String> shown = new LinkedHashMap<>();
        clientProperties.forEach((k, v) -> shown.put(k, holdsSecret(k) ? "***" : v));
        return "KafkaSettings[bootstrapServers=" + bootstrapServers + ", topics=" + topics + ", groupId=" + groupId
                + ", startingOffsets=" + startingOffsets + ", bounded=" + bounded + ", deadLetterTopic="
                + deadLetterTopic + ", clientProperties=" + shown + "]";
    }
}
