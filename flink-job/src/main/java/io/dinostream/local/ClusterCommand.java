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
 * classes still come from its own jar first, as Flink loads user code child-first.
 */
public final class ClusterCommand {

    static final String HELP = """
            Usage: cluster start|stop [options]

              start  start a JobManager and TaskManagers on loopback, each a JVM of its own, and return
              stop   stop the cluster started in --workdir

              --workdir DIR       config, logs, checkpoints and savepoints (default: dino-cluster)
              --taskmanagers N    TaskManagers to start, 2 slots each (default: 2)""";

    private ClusterCommand() {}

    public static int run(List<String> args) throws Exception {
        if (args.isEmpty() || Flags.wantsHelp(args)) {
            System.out.println(HELP);
            return args.isEmpty() ? 2 : 0;
        }
        Map<String, String> flags = Flags.parse(args.subList(1, args.size()));
        Path workDir = Path.of(flags.getOrDefault("workdir", "dino-cluster"));
        int taskManagers = Integer.parseInt(flags.getOrDefault("taskmanagers", "2"));
        flags.keySet().removeAll(List.of("workdir", "taskmanagers"));
        if (!flags.isEmpty()) {
            throw new IllegalArgumentException("unknown option(s) " + flags.keySet() + "\n\n" + HELP);
        }
        switch (args.get(0)) {
            case "start" -> {
                LocalCluster cluster = LocalCluster.start(workDir,
                        List.of(Path.of(System.getProperty("java.class.path"))), taskManagers, Duration.ofSeconds(120));
                cluster.detach();
                System.out.println("Flink cluster with " + taskManagers + " TaskManagers at " + cluster.restUri()
                        + " (logs in " + cluster.logDir() + ")\nsubmit flink-job/target/dino-stream-cluster.jar there;"
                        + " stop it with: cluster stop --workdir " + workDir);
                return 0;
            }
            case "stop" -> {
                System.out.println("stopped " + LocalCluster.stop(workDir) + " Flink JVMs");
                return 0;
            }
            default -> throw new IllegalArgumentException("unknown action '" + args.get(0) + "'\n\n" + HELP);
        }
    }
}
