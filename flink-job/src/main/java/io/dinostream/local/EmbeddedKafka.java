package io.dinostream.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Apache Kafka 4.2 broker in this process, in KRaft mode (one node that is both broker and
 * controller), on 127.0.0.1, so the demo and the tests stream images through a real broker
 * without any outside service. Data lives under {@code <workDir>/kafka}; a folder formatted by an
 * earlier run is reused, topics included. Internal topics use one replica and one partition.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    private static final String HOST = "127.0.0.1";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final long STARTUP_TIMEOUT_MS = 60_000;
    private static final long ADMIN_TIMEOUT_MS = 30_000;

    /** Room for the rest of an ImageEvent (id, source, attributes) and Kafka's batch framing. */
    static final int EVENT_OVERHEAD_BYTES = 1024 * 1024;

    /** The largest record the broker takes unless told: an image of the job's default --ingest.max-bytes (20 MiB). */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = messageLimitFor(20 * 1024 * 1024);

    /**
     * The broker's record limit for a job that accepts images of up to maxImageBytes: the image
     * plus the event around it. Kafka's own default (1 MB) refuses ordinary photos.
     */
    public static int messageLimitFor(long maxImageBytes) {
        return (int) Math.min(Integer.MAX_VALUE, maxImageBytes + EVENT_OVERHEAD_BYTES);
    }

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path logDir;
    private boolean closed;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path logDir) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.logDir = logDir;
    }

    /** Starts a broker on a free port, with its data under {@code workDir/kafka}. */
    public static EmbeddedKafka start(Path workDir) throws IOException {
        return start(workDir, 0);
    }

    /**
     * Starts a broker whose client listener is on port (0 picks a free one), with its data under
     * {@code workDir/kafka}; the controller listener always takes a free port. Returns once the
     * broker serves clients.
     *
     * @throws IOException if the folder cannot be prepared, or the broker fails or does not come up
     *     within 60 s
     */
    public static EmbeddedKafka start(Path workDir, int port) throws IOException {
        return start(workDir, port, DEFAULT_MAX_MESSAGE_BYTES);
    }

    /**
     * Starts a broker on the given port (0 picks a free one) that takes records of up to
     * maxMessageBytes (see {@link #messageLimitFor}).
     */
    public static EmbeddedKafka start(Path workDir, int port, int maxMessageBytes) throws IOException {
        if (maxMessageBytes <= 0) {
            throw new IllegalArgumentException("Kafka's message size limit must be > 0 bytes, got " + maxMessageBytes);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Kafka port must be 0 (any free) or 1-65535, got " + port);
        }
        long started = System.nanoTime();
        Path logDir = workDir.resolve("kafka").resolve("data").toAbsolutePath().normalize();
        Files.createDirectories(logDir);
        int brokerPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        String bootstrap = HOST + ":" + brokerPort;
        KafkaConfig config = new KafkaConfig(brokerProperties(logDir, brokerPort, controllerPort, maxMessageBytes), false);
        formatIfNeeded(logDir);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        startWithin(server, bootstrap, logDir);
        EmbeddedKafka kafka = new EmbeddedKafka(server, bootstrap, logDir);
        try {
            kafka.awaitServing(started);
        } catch (IOException | RuntimeException e) {
            kafka.close();
            throw e;
        }
        LOG.info(
                "Embedded Kafka at {} with data under {} (started in {} ms)",
                bootstrap,
                logDir,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return kafka;
    }

    /** The broker's address for clients' {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The folder holding the broker's logs and metadata. */
    public Path logDir() {
        return logDir;
    }

    /**
     * Creates a topic with one replica and the given partitions and waits until the broker serves
     * it. An existing topic is fine (its partition count is left as is, with a warning if it
     * differs).
     */
    public void createTopic(String name, int partitions) throws IOException {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("topic name must not be blank");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + " needs >= 1 partition, got " + partitions);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ADMIN_TIMEOUT_MS);
        try (Admin admin = admin()) {
            try {
                admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
                        .all()
                        .get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                LOG.info("Created topic {} with {} partition(s)", name, partitions);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            int actual = awaitTopic(admin, name, deadline);
            if (actual != partitions) {
                LOG.warn("Topic {} already exists with {} partition(s), not {}", name, actual, partitions);
            }
        } catch (ExecutionException e) {
            throw new IOException(
                    "cannot create topic " + name + " on " + bootstrapServers + " (" + e.getCause() + ")",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new IOException(
                    "topic " + name + " was not ready on " + bootstrapServers + " within "
                            + ADMIN_TIMEOUT_MS + " ms",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating topic " + name, e);
        }
    }

    /** Shuts the broker down and waits until it has stopped; the data stays on disk. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long started = System.nanoTime();
        server.shutdown();
        server.awaitShutdown();
        LOG.info(
                "Embedded Kafka at {} stopped in {} ms",
                bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    private Admin admin() {
        return Admin.create(
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT_MS));
    }

    /** Waits until every partition of the topic has a leader; returns the partition count. */
    private static int awaitTopic(Admin admin, String name, long deadline)
            throws ExecutionException, InterruptedException, TimeoutException {
        while (true) {
            try {
                TopicDescription description =
                        admin.describeTopics(Set.of(name))
                                .allTopicNames()
                                .get(remainingMs(deadline), TimeUnit.MILLISECONDS)
                                .get(name);
                if (description.partitions().stream()
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return description.partitions().size();
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (remainingMs(deadline) <= 0) {
                throw new TimeoutException("partitions of " + name + " have no leader yet");
            }
            Thread.sleep(20);
        }
    }

    /** Checks that the broker answers clients, within what is left of the startup budget. */
    private void awaitServing(long startedNanos) throws IOException {
        long deadline = startedNanos + TimeUnit.MILLISECONDS.toNanos(STARTUP_TIMEOUT_MS);
        try (Admin admin = admin()) {
            admin.describeCluster().nodes().get(Math.max(1, remainingMs(deadline)), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException(
                    "embedded Kafka started but does not answer at " + bootstrapServers + " (" + e + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for embedded Kafka", e);
        }
    }

    private static Properties brokerProperties(Path logDir, int brokerPort, int controllerPort, int maxMessageBytes) {
        Properties p = new Properties();
        // Records as large as the job accepts (topics inherit it), and followers could copy them.
        p.setProperty("message.max.bytes", Integer.toString(maxMessageBytes));
        p.setProperty("replica.fetch.max.bytes", Integer.toString(maxMessageBytes));
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", Integer.toString(NODE_ID));
        p.setProperty("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.setProperty("controller.listener.names", CONTROLLER_LISTENER);
        p.setProperty(
                "listeners",
                "PLAINTEXT://" + HOST + ":" + brokerPort + "," + CONTROLLER_LISTENER + "://" + HOST + ":"
                        + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort);
        p.setProperty(
                "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("log.dirs", logDir.toString());
        p.setProperty("metadata.log.dir", logDir.toString());
        // A single node: every internal topic has one replica, and one partition to start fast.
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.num.partitions", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("num.partitions", "1");
        // Small footprint on a laptop: the cleaner's 128 MB default buffer and many threads are not needed.
        p.setProperty("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
        p.setProperty("num.network.threads", "2");
        p.setProperty("num.io.threads", "2");
        p.setProperty("background.threads", "2");
        p.setProperty("num.recovery.threads.per.data.dir", "1");
        p.setProperty("initial.broker.registration.timeout.ms", Long.toString(STARTUP_TIMEOUT_MS));
        return p;
    }

    /** Formats the log folder for a fresh single-node cluster unless an earlier run already did. */
    private static void formatIfNeeded(Path logDir) throws IOException {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            LOG.info("Reusing Kafka data under {}", logDir);
            return;
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            new Formatter()
                    .setPrintStream(print)
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .addDirectory(logDir.toString())
                    .setMetadataLogDirectory(logDir.toString())
                    .run();
        } catch (Exception e) {
            throw new IOException(
                    "cannot format Kafka storage under " + logDir + " (" + e
                            + "): delete the folder and retry",
                    e);
        }
        LOG.debug("Kafka storage format: {}", output.toString(StandardCharsets.UTF_8).trim());
    }

    /** Runs the server's blocking startup with a deadline; on failure shuts it down and throws. */
    private static void startWithin(KafkaRaftServer server, String bootstrap, Path logDir)
            throws IOException {
        ExecutorService starter =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "embedded-kafka-startup");
                            t.setDaemon(true);
                            return t;
                        });
        try {
            Future<?> startup = starter.submit(server::startup);
            startup.get(STARTUP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            shutdownQuietly(server, e);
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            String why =
                    e instanceof TimeoutException
                            ? "did not come up within " + STARTUP_TIMEOUT_MS / 1000 + " s"
                            : "failed to start (" + cause + ")";
            throw new IOException(
                    "embedded Kafka at " + bootstrap + " " + why + "; data under " + logDir
                            + ": check that the port is free and the folder writable",
                    cause);
        } finally {
            starter.shutdownNow();
        }
    }

    /**
     * Shuts a server that failed to start down, waiting at most 10 s: a startup that hangs may
     * keep shutdown from finishing, and the caller must still get its error.
     */
    private static void shutdownQuietly(KafkaRaftServer server, Exception cause) {
        Thread stopper =
                new Thread(
                        () -> {
                            try {
                                server.shutdown();
                                server.awaitShutdown();
                            } catch (RuntimeException e) {
                                LOG.debug("Shutdown of a failed embedded Kafka failed too", e);
                            }
                        },
                        "embedded-kafka-abort");
        stopper.setDaemon(true);
        stopper.start();
        try {
            stopper.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cause.addSuppressed(e);
        }
    }

    private static long remainingMs(long deadlineNanos) {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
