package io.dinostream.local;

import io.dinostream.config.Flags;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code ./dinostream cluster start|stop}: a Flink session cluster on loopback ({@link LocalCluster})
 * that outlives the command, to submit the cluster jar to as to any Flink cluster. Its JVMs run
 * on this command's own classpath (the demo's jar: Flink, DJL and libtorch); a submitted job's
 * classes still come from its own jar first, as Flink loads user code child-first, except Kafka's
 * client (see {@link #DEMO_JAR_CONFIG}).
 */
public final class ClusterCommand {

    static final String HELP = """
            Usage: cluster start|stop [options]

              start  start a JobManager and TaskManagers on loopback, each a JVM of its own, and return
              stop   stop the cluster started in --workdir

              --workdir DIR       config, logs, checkpoints and savepoints (default: dino-cluster)
              --taskmanagers N    TaskManagers to start, 2 slots each (default: 2)
              --rest-port P       port of the REST API and dashboard on 127.0.0.1, 0 for any free one (default: 8081)
              --kafka-port P      also start the demo's Kafka broker on 127.0.0.1:P, with topics images
                                  (2 partitions) and images-dead-letters (default: no broker)
              --s3-port P         also start the demo's S3 server on 127.0.0.1:P, access key dinostream,
                                  secret key dinostream-secret (default: no S3 server)""";

    /**
     * The demo's jar, the cluster's classpath here, also holds Flink's Kafka connector and Kafka's
     * client. The connector loads from it (Flink loads org.apache.flink.* parent-first); Kafka's
     * client must then come from it too, not from the submitted jar's own copy, or the two meet as
     * "LinkageError: loader constraint violation ... ConsumerRecord" when the job is submitted. A
     * Flink distribution has neither in lib/, and needs no such setting.
     */
    static final Map<String, String> DEMO_JAR_CONFIG =
            Map.of("classloader.parent-first-patterns.additional", "org.apache.kafka.");

    private ClusterCommand() {}

    public static int run(List<String> args) throws Exception {
        if (args.isEmpty() || Flags.wantsHelp(args)) {
            System.out.println(HELP);
            return args.isEmpty() ? 2 : 0;
        }
        Map<String, String> flags = Flags.parse(args.subList(1, args.size()));
        Path workDir = Path.of(flags.getOrDefault("workdir", "dino-cluster"));
        int taskManagers = Integer.parseInt(flags.getOrDefault("taskmanagers", "2"));
        int restPort = Integer.parseInt(flags.getOrDefault("rest-port", "8081"));
        Integer kafkaPort = flags.containsKey("kafka-port") ? Integer.valueOf(flags.get("kafka-port")) : null;
        Integer s3Port = flags.containsKey("s3-port") ? Integer.valueOf(flags.get("s3-port")) : null;
        flags.keySet().removeAll(List.of("workdir", "taskmanagers", "rest-port", "kafka-port", "s3-port"));
        if (!flags.isEmpty()) {
            throw new IllegalArgumentException("unknown option(s) " + flags.keySet() + "\n\n" + HELP);
        }
        switch (args.get(0)) {
            case "start" -> {
                LocalCluster cluster = LocalCluster.start(workDir,
                        List.of(Path.of(System.getProperty("java.class.path"))), taskManagers, restPort,
                        DEMO_JAR_CONFIG, Duration.ofSeconds(120));
                String services = null;
                if (kafkaPort != null || s3Port != null) {
                    try {
                        services = cluster.startServices(kafkaPort, s3Port, Duration.ofSeconds(120));
                    } catch (Exception e) {
                        cluster.close();
                        throw e;
                    }
                }
                cluster.detach();
                System.out.println("Flink cluster with " + taskManagers + " TaskManagers at " + cluster.restUri()
                        + " (logs in " + cluster.logDir() + ")");
                if (services != null) {
                    System.out.println(services);
                }
                System.out.println("submit flink-job/target/dino-stream-cluster.jar there; stop it with: cluster stop"
                        + " --workdir " + workDir);
                return 0;
            }
            case "stop" -> {
                System.out.println("stopped " + LocalCluster.stop(workDir) + " JVMs");
                return 0;
            }
            default -> throw new IllegalArgumentException("unknown action '" + args.get(0) + "'\n\n" + HELP);
        }
    }
}
