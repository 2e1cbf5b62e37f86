package io.dinostream.local;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Flink session cluster on loopback as a Flink distribution runs one: a JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and N TaskManagers ({@code TaskManagerRunner}),
 * each a JVM of its own with Flink's jars and DJL/libtorch (target/flink-lib) on its classpath,
 * and no DINO Stream code: jobs arrive as the cluster jar through the REST API. The config
 * directory, logs, checkpoints and savepoints live under one work directory.
 */
public final class LocalCluster implements AutoCloseable {

    /** Slots per TaskManager, as in the Kubernetes deployment. */
    public static final int SLOTS_PER_TASK_MANAGER = 2;

    /** What Flink's scripts pass to every JVM on Java 17 (env.java.opts.all's defaults). */
    static final List<String> JAVA_MODULE_FLAGS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    private static final String PIDS = "cluster.pids";
    private static final String JOB_MANAGER = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TASK_MANAGER = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";

    private final Path workDir;
    private final List<Path> classpath;
    private final int taskManagers;
    private final int requestedRestPort;
    private final Map<String, String> extraConfig;
    private final List<Process> processes = new ArrayList<>();
    /** Each TaskManager's JVM by its resource id, the {@code taskmanager-id} the REST API shows. */
    private final Map<String, Process> taskManagerProcesses = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread shutdownHook = new Thread(this::stopProcesses, "local-cluster-stop");
    private int restPort;

    private LocalCluster(Path workDir, List<Path> classpath, int taskManagers, int restPort,
            Map<String, String> extraConfig) {
        if (taskManagers < 1) {
            throw new IllegalArgumentException("a cluster needs at least 1 TaskManager, got " + taskManagers);
        }
        if (restPort < 0 || restPort > 65535) {
            throw new IllegalArgumentException("the REST port must be 0 (any free one) or 1-65535, got " + restPort);
        }
        this.workDir = workDir.toAbsolutePath();
        this.classpath = List.copyOf(classpath);
        this.taskManagers = taskManagers;
        this.requestedRestPort = restPort;
        this.extraConfig = Map.copyOf(extraConfig);
    }

    /**
     * Starts the JobManager and the TaskManagers and returns once the REST API reports all
     * TaskManagers registered; stops what it started if that does not happen within {@code timeout}.
     *
     * @param classpath Flink's jars and DJL's (see {@link #flinkClasspath}), not the job's
     */
    public static LocalCluster start(Path workDir, List<Path> classpath, int taskManagers, Duration timeout)
            throws IOException, InterruptedException {
        return start(workDir, classpath, taskManagers, 0, Map.of(), timeout);
    }

    /**
     * As {@link #start(Path, List, int, Duration)}, with the REST API (and dashboard) on
     * {@code restPort}, 0 for any free port, and {@code config} added to the cluster's configuration.
     */
    public static LocalCluster start(Path workDir, List<Path> classpath, int taskManagers, int restPort,
            Map<String, String> config, Duration timeout) throws IOException, InterruptedException {
        LocalCluster cluster = new LocalCluster(workDir, classpath, taskManagers, restPort, config);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.launch();
            cluster.awaitTaskManagers(timeout);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * The classpath of a Flink distribution's lib/ with DJL and libtorch added, taken from a JVM's
     * classpath (a test's, which has Flink as a dependency): its jars without the job's own code,
     * the Kafka connector and client (the cluster jar brings those) and test-jars, plus the jars
     * of {@code flinkLib}.
     */
    public static List<Path> flinkClasspath(String javaClassPath, Path flinkLib) throws IOException {
        List<Path> lib;
        try (Stream<Path> files = Files.list(flinkLib)) {
            lib = files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
        if (lib.isEmpty()) {
            throw new IOException(flinkLib + " holds no jars: run `mvn package` first, it copies DJL and libtorch there");
        }
        Set<String> libNames = lib.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        List<Path> result = new ArrayList<>();
        for (String entry : javaClassPath.split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            boolean keep = name.endsWith(".jar") && !name.endsWith("-tests.jar") && !name.startsWith("dino-stream")
                    && !name.startsWith("kafka") && !name.startsWith("flink-connector-kafka")
                    && !libNames.contains(name);
            if (keep) {
                result.add(Path.of(entry));
            }
        }
        result.addAll(lib);
        return result;
    }

    /** The REST API's base URI, e.g. http://127.0.0.1:8081. */
    public URI restUri() {
        return URI.create("http://127.0.0.1:" + restPort);
    }

    public Path workDir() {
        return workDir;
    }

    /** Where the JVMs write their output: jobmanager.log, taskmanager-1.log, ... */
    public Path logDir() {
        return workDir.resolve("log");
    }

    /**
     * Starts the demo's Kafka broker and S3 server ({@link LocalServices}) in a JVM of their own
     * beside the cluster, on 127.0.0.1 at the given ports (null: that server is not started), with
     * their data in the work directory; returns the line saying where they listen once they serve.
     * The JVM needs DINO Stream's own classes on the cluster's classpath (the demo's jar has them).
     * {@link #stop} and {@link #close} end it with the cluster.
     */
    public String startServices(Integer kafkaPort, Integer s3Port, Duration timeout)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--workdir", workDir.toString()));
        if (kafkaPort != null) {
            args.addAll(List.of("--kafka-port", kafkaPort.toString()));
        }
        if (s3Port != null) {
            args.addAll(List.of("--s3-port", s3Port.toString()));
        }
        Process services;
        synchronized (this) {
            services = jvm(LocalServices.class.getName(), "services", "-Xmx1g", null, args.toArray(new String[0]));
            processes.add(services);
            writePids();
        }
        Path log = logDir().resolve("services.log");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    if (line.startsWith(LocalServices.READY)) {
                        return line;
                    }
                }
            }
            if (!services.isAlive()) {
                throw new IOException("the Kafka/S3 JVM exited with code " + services.exitValue() + "; its log:\n"
                        + (Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(none)"));
            }
            Thread.sleep(200);
        }
        throw new IOException("Kafka and S3 did not come up within " + timeout.toSeconds() + " s; see " + log);
    }

    /** The resource ids of the TaskManagers, {@code taskmanager-1} ..., as the REST API names them. */
    public synchronized List<String> taskManagerIds() {
        return List.copyOf(taskManagerProcesses.keySet());
    }

    /** The process id of a TaskManager's JVM, by the id the REST API shows ({@code taskmanager-id}). */
    public synchronized long taskManagerPid(String resourceId) {
        return taskManager(resourceId).pid();
    }

    /**
     * Kills a TaskManager's JVM with SIGKILL, as {@code kill -9} does, and returns once it is gone:
     * no shutdown hook, no goodbye to the JobManager, its tasks and slots lost mid-flight.
     */
    public void killTaskManager(String resourceId) throws InterruptedException, IOException {
        Process p;
        synchronized (this) {
            p = taskManager(resourceId);
        }
        p.destroyForcibly(); // SIGKILL on Linux and macOS
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            throw new IOException("TaskManager " + resourceId + " (pid " + p.pid() + ") survived SIGKILL for 30 s");
        }
    }

    private Process taskManager(String resourceId) {
        Process p = taskManagerProcesses.get(resourceId);
        if (p == null) {
            throw new IllegalArgumentException("no TaskManager " + resourceId + " in this cluster; it has "
                    + taskManagerProcesses.keySet());
        }
        return p;
    }

    /** The last lines of every log, for a failure message. */
    public String tails(int lines) {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> logs = Files.list(logDir())) {
            for (Path log : logs.sorted().toList()) {
                List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
                out.append("--- ").append(log.getFileName()).append('\n')
                        .append(String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())))
                        .append('\n');
            }
        } catch (IOException | RuntimeException e) {
            out.append("(logs unreadable: ").append(e.getMessage()).append(")\n");
        }
        return out.toString();
    }

    /**
     * Leaves the JVMs running when this process exits (./dinostream cluster start); {@link #stop}
     * ends them later from the pids this cluster wrote to its work directory.
     */
    public void detach() {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
        synchronized (this) {
            processes.clear();
            taskManagerProcesses.clear();
        }
    }

    /**
     * Stops the JVMs of a cluster started in {@code workDir}, by the pids it wrote there; a pid
     * that now names another program (the cluster is long gone) is left alone. Returns how many
     * JVMs were stopped.
     */
    public static int stop(Path workDir) throws IOException, InterruptedException {
        Path pids = workDir.toAbsolutePath().resolve(PIDS);
        if (!Files.exists(pids)) {
            throw new IOException("no cluster was started in " + workDir + " (" + PIDS + " is missing)");
        }
        // Each of the cluster's JVMs names its work directory on its command line (--configDir or --workdir).
        String dir = workDir.toAbsolutePath().toString();
        List<ProcessHandle> ours = new ArrayList<>();
        for (String line : Files.readAllLines(pids, StandardCharsets.UTF_8)) {
            ProcessHandle.of(Long.parseLong(line.trim()))
                    .filter(h -> h.info().commandLine().map(c -> c.contains(dir)).orElse(false))
                    .ifPresent(ours::add);
        }
        ours.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : ours) {
            try {
                h.onExit().get(15, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                h.destroyForcibly();
            }
        }
        Files.delete(pids);
        return ours.size();
    }

    /** Stops every JVM: SIGTERM first so that Flink shuts down, then SIGKILL after 15 s. */
    @Override
    public void close() {
        stopProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down, and the hook is running or ran
        }
    }

    private synchronized void stopProcesses() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(15, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
        taskManagerProcesses.clear();
    }

    private synchronized void launch() throws IOException {
        restPort = requestedRestPort == 0 ? freePort() : requestedRestPort;
        Path conf = workDir.resolve("conf");
        Files.createDirectories(conf);
        Files.createDirectories(logDir());
        Files.createDirectories(workDir.resolve("tmp"));
        Files.writeString(conf.resolve("config.yaml"), config(freePort()), StandardCharsets.UTF_8);
        Files.writeString(conf.resolve("log4j-console.properties"), LOG4J, StandardCharsets.UTF_8);
        processes.add(jvm(JOB_MANAGER, "jobmanager", "-Xmx512m", conf));
        for (int i = 1; i <= taskManagers; i++) {
            // The resource id is the TaskManager's name in the REST API and the dashboard, and here.
            String id = "taskmanager-" + i;
            Process tm = jvm(TASK_MANAGER, id, "-Xmx1g", conf, "-D", "taskmanager.resource-id=" + id);
            processes.add(tm);
            taskManagerProcesses.put(id, tm);
        }
        writePids();
    }

    private void writePids() throws IOException {
        Files.write(workDir.resolve(PIDS), processes.stream().map(p -> Long.toString(p.pid())).toList(),
                StandardCharsets.UTF_8);
    }

    /** A JVM on the cluster's classpath; conf null for one that is not a Flink process. */
    private Process jvm(String mainClass, String name, String heap, Path conf, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(heap);
        command.add("-XX:MaxDirectMemorySize=512m");
        command.addAll(JAVA_MODULE_FLAGS);
        command.add("-Dai.djl.offline=true");
        command.add("-Dlog4j.configurationFile="
                + workDir.resolve("conf").resolve("log4j-console.properties").toUri());
        command.add("-cp");
        command.add(classpath.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)));
        command.add(mainClass);
        if (conf != null) {
            command.add("--configDir");
            command.add(conf.toString());
        }
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(logDir().resolve(name + ".log").toFile()).start();
    }

    private String config(int rpcPort) {
        return String.join("\n",
                "jobmanager.rpc.address: 127.0.0.1",
                "jobmanager.rpc.port: " + rpcPort,
                "jobmanager.bind-host: 127.0.0.1",
                "jobmanager.memory.process.size: 1024m",
                "taskmanager.bind-host: 127.0.0.1",
                "taskmanager.host: 127.0.0.1",
                "taskmanager.numberOfTaskSlots: " + SLOTS_PER_TASK_MANAGER,
                // a job of parallelism 2 gets a slot on each TaskManager, not both on the first
                "taskmanager.load-balance.mode: SLOTS",
                // Flink's scripts compute these and pass them to TaskManagerRunner; started
                // directly, it needs them spelled out. libtorch's tensors are native memory outside
                // these budgets, hence a small managed memory. The heap fits the JVM's -Xmx.
                "taskmanager.cpu.cores: " + SLOTS_PER_TASK_MANAGER,
                "taskmanager.memory.framework.heap.size: 128m",
                "taskmanager.memory.task.heap.size: 640m",
                "taskmanager.memory.framework.off-heap.size: 128m",
                "taskmanager.memory.task.off-heap.size: 64m",
                "taskmanager.memory.network.min: 64m",
                "taskmanager.memory.network.max: 64m",
                "taskmanager.memory.managed.size: 64m",
                "taskmanager.memory.jvm-metaspace.size: 256m",
                "taskmanager.memory.jvm-overhead.min: 192m",
                "taskmanager.memory.jvm-overhead.max: 192m",
                // The trainer takes tens of milliseconds per crop set, and a checkpoint barrier waits
                // behind every crop set in the network buffers ahead of it: full buffers of ClusterIT's
                // small crop sets held 30 s and more of training on a busy 2-core machine, so each
                // checkpoint, and the savepoint of a stop, took that long. Debloating sizes the buffers
                // in flight to about 1 s of each task's throughput.
                "taskmanager.network.memory.buffer-debloat.enabled: true",
                // A TaskManager that dies without a word (kill -9, a lost machine) is declared lost after
                // two failed heartbeat RPCs, 2 s apart, instead of Flink's 10 s apart: its job restarts
                // in seconds. One that answers slowly (busy CPUs, a GC pause) still has 30 s.
                "heartbeat.interval: 2000",
                "heartbeat.timeout: 30000",
                // the REST API's metrics (the dashboard's, /jobs/:id/vertices/:vid/metrics) at most 1 s
                // old instead of 10 s: fetched only while someone asks
                "metrics.fetcher.update-interval: 1000",
                // and the jobs' state (tasks, where they run, checkpoints) at most 1 s old, not 3 s
                "web.refresh-interval: 1000",
                "rest.address: 127.0.0.1",
                "rest.bind-address: 127.0.0.1",
                "rest.port: " + restPort,
                "web.upload.dir: " + workDir.resolve("upload"),
                "io.tmp.dirs: " + workDir.resolve("tmp"),
                "execution.checkpointing.dir: " + workDir.resolve("checkpoints").toUri(),
                "execution.checkpointing.savepoint-dir: " + workDir.resolve("savepoints").toUri(),
                "") + extraConfig.entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .map(e -> e.getKey() + ": " + e.getValue() + "\n").collect(Collectors.joining());
    }

    private void awaitTaskManagers(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int registered = -1;
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IOException("a Flink JVM exited with code " + p.exitValue()
                            + " while the cluster started; its logs:\n" + tails(20));
                }
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(restUri().resolve("/overview"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    JsonObject overview = JsonParser.parseString(r.body()).getAsJsonObject();
                    registered = overview.get("taskmanagers").getAsInt();
                    if (registered >= taskManagers) {
                        return;
                    }
                }
            } catch (IOException e) {
                // the REST endpoint is not up yet
            }
            Thread.sleep(500);
        }
        throw new IOException(taskManagers + " TaskManagers did not register within " + timeout.toSeconds()
                + " s (" + Math.max(registered, 0) + " did); the logs:\n" + tails(20));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static final String LOG4J = String.join("\n",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.console.ref = ConsoleAppender",
            "appender.console.name = ConsoleAppender",
            "appender.console.type = CONSOLE",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
            "logger.kafka.name = org.apache.kafka",
            "logger.kafka.level = WARN",
            "");
}
