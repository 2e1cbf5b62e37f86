package io.dinostream.local;

import io.dinostream.config.Flags;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The demo's Kafka broker and S3 server in a JVM of their own, for jobs on a {@link LocalCluster}
 * to read from and publish to ({@code ./dinostream cluster start --kafka-port P --s3-port P}).
 * The broker serves topic {@value #TOPIC} (2 partitions, one per TaskManager) and
 * {@value #DEAD_LETTERS}; data stays under the work directory ({@code kafka/}, {@code s3/}), so a
 * restart keeps topics and published checkpoints. Runs until it is told to stop (SIGTERM).
 */
public final class LocalServices {

    /** The line this JVM prints once both servers serve. */
    static final String READY = "local services ready";
    static final String TOPIC = "images";
    static final String DEAD_LETTERS = "images-dead-letters";

    private LocalServices() {}

    /** {@code --workdir DIR [--kafka-port P] [--s3-port P]}: a port not given starts no server. */
    public static void main(String[] args) throws Exception {
        Map<String, String> flags = Flags.parse(java.util.List.of(args));
        Path workDir = Path.of(flags.get("workdir"));
        EmbeddedKafka kafka = null;
        EmbeddedS3 s3 = null;
        StringBuilder ready = new StringBuilder(READY);
        if (flags.containsKey("kafka-port")) {
            kafka = EmbeddedKafka.start(workDir, Integer.parseInt(flags.get("kafka-port")));
            kafka.createTopic(TOPIC, 2);
            kafka.createTopic(DEAD_LETTERS, 1);
            ready.append(": Kafka at ").append(kafka.bootstrapServers()).append(" (topics ").append(TOPIC)
                    .append(", ").append(DEAD_LETTERS).append(')');
        }
        if (flags.containsKey("s3-port")) {
            s3 = EmbeddedS3.start(workDir, Integer.parseInt(flags.get("s3-port")));
            ready.append(kafka == null ? ": " : "; ").append("S3 at ").append(s3.endpoint()).append(" (access key ")
                    .append(s3.accessKey()).append(", secret key ").append(s3.secretKey()).append(", objects in ")
                    .append(s3.root()).append(')');
        }
        EmbeddedKafka k = kafka;
        EmbeddedS3 s = s3;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (k != null) {
                    k.close();
                }
                if (s != null) {
                    s.close();
                }
            } catch (Exception e) {
                System.err.println("stopping the local services: " + e);
            }
            stopped.countDown();
        }, "local-services-stop"));
        System.out.println(ready);
        System.out.flush();
        stopped.await();
    }
}
