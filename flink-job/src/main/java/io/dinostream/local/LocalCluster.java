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
import java.util.List;
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
    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread shutdownHook = new Thread(this::stopProcesses, "local-cluster-stop");
    private int restPort;

    private LocalCluster(Path workDir, List<Path> classpath, int taskManagers) {
        if (taskManagers < 1) {
            throw new IllegalArgumentException("a cluster needs at least 1 TaskManager, got " + taskManagers);
        }
        this.workDir = workDir.toAbsolutePath();
        this.classpath = List.copyOf(classpath);
        this.taskManagers = taskManagers;
    }

    /**
     * Starts the JobManager and the TaskManagers and returns once the REST API reports all
     * TaskManagers registered; stops what it started if that does not happen within {@code timeout}.
     *
     * @param classpath Flink's jars and DJL's (see {@link #flinkClasspath}), not the job's
     */
    public static LocalCluster start(Path workDir, List<Path> classpath, int taskManagers, Duration timeout)
            throws IOException, InterruptedException {
        LocalCluster cluster = new LocalCluster(workDir, classpath, taskManagers);
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
        String conf = workDir.toAbsolutePath().resolve("conf").toString();
        List<ProcessHandle> ours = new ArrayList<>();
        for (String line : Files.readAllLines(pids, StandardCharsets.UTF_8)) {
            ProcessHandle.of(Long.parseLong(line.trim()))
                    .filter(h -> h.info().commandLine().map(c -> c.contains(conf)).orElse(false))
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
    }

    private void launch() throws IOException {
        restPort = freePort();
        Path conf = workDir.resolve("conf");
        Files.createDirectories(conf);
        Files.createDirectories(logDir());
        Files.createDirectories(workDir.resolve("tmp"));
        Files.writeString(conf.resolve("config.yaml"), config(freePort()), StandardCharsets.UTF_8);
        Files.writeString(conf.resolve("log4j-console.properties"), LOG4J, StandardCharsets.UTF_8);
        processes.add(jvm(JOB_MANAGER, "jobmanager", "-Xmx512m", conf));
        for (int i = 1; i <= taskManagers; i++) {
            processes.add(jvm(TASK_MANAGER, "taskmanager-" + i, "-Xmx1g", conf));
        }
        Files.write(workDir.resolve(PIDS), processes.stream().map(p -> Long.toString(p.pid())).toList(),
                StandardCharsets.UTF_8);
    }

    private Process jvm(String mainClass, String name, String heap, Path conf) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(heap);
        command.add("-XX:MaxDirectMemorySize=512m");
        command.addAll(JAVA_MODULE_FLAGS);
        command.add("-Dai.djl.offline=true");
        command.add("-Dlog4j.configurationFile=" + conf.resolve("log4j-console.properties").toUri());
        command.add("-cp");
        command.add(classpath.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)));
        command.add(mainClass);
        command.add("--configDir");
        command.add(conf.toString());
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
                "rest.address: 127.0.0.1",
                "rest.bind-address: 127.0.0.1",
                "rest.port: " + restPort,
                "web.upload.dir: " + workDir.resolve("upload"),
                "io.tmp.dirs: " + workDir.resolve("tmp"),
                "execution.checkpointing.dir: " + workDir.resolve("checkpoints").toUri(),
                "execution.checkpointing.savepoint-dir: " + workDir.resolve("savepoints").toUri(),
                "") ;
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
