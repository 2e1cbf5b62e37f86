package io.dinostream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.dinostream.datasets.DatasetProducer;
import io.dinostream.local.EmbeddedKafka;
import io.dinostream.local.LocalCluster;
import io.dinostream.publish.Latest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The cluster jar on a real session cluster (a JobManager and two TaskManagers, each its own JVM
 * with Flink's jars and target/flink-lib, as a Flink distribution with DJL in lib/), driven only
 * through Flink's REST API as the dashboard drives it: upload, run with parallelism 2 so that the
 * stateless operators span both TaskManagers, a published checkpoint, the trainer's step gauge,
 * stop with a savepoint, and a resumed run whose trainer continues from the savepoint's step.
 * Timings go to standard output.
 */
final class ClusterIT {

    private static final String TOPIC = "images";
    private static final String DEAD = "images-dead-letters";
    private static final Pattern RESTORED = Pattern.compile("restored DINO trainer at step (\\d+)");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private URI rest;

    @Test
    void theClusterJarTrainsOnTwoTaskManagersAndResumesFromASavepoint() throws Exception {
        Path target = Path.of(System.getProperty("build.directory", "target")).toAbsolutePath();
        Path work = Files.createDirectories(target.resolve("cluster-it")).resolve(Long.toString(System.currentTimeMillis()));
        Path published = work.resolve("published");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"))) {
            kafka.createTopic(TOPIC, 2);
            kafka.createTopic(DEAD, 1);
            produce(kafka, 240, 1);

            long t0 = System.nanoTime();
            try (LocalCluster cluster = LocalCluster.start(work.resolve("cluster"),
                    LocalCluster.flinkClasspath(System.getProperty("java.class.path"), target.resolve("flink-lib")),
                    2, Duration.ofSeconds(90))) {
                rest = cluster.restUri();
                log("cluster of 2 TaskManagers up in %d ms (%s)", ms(t0), rest);
                try {
                    String jar = upload(target.resolve("dino-stream-cluster.jar"));
                    List<String> args = jobArgs(kafka, published);

                    long submitted = System.nanoTime();
                    String job = run(jar, args, null);
                    Latest first = await("a published checkpoint", Duration.ofSeconds(90),
                            () -> latest(published).filter(l -> l.step() > 0));
                    log("submit -> first published checkpoint (step %d): %d ms", first.step(), ms(submitted));
                    assertEquals(2, taskManagersRunning(job), "decode and crops run on both TaskManagers");

                    long gauge = await("the TrainDino step gauge", Duration.ofSeconds(30),
                            () -> stepGauge(job).filter(s -> s > 0));
                    log("TrainDino step gauge: %d", gauge);

                    long stopping = System.nanoTime();
                    String savepoint = stopWithSavepoint(job, work.resolve("savepoints"));
                    long stepAtStop = latest(published).orElseThrow().step();
                    log("stop with savepoint: %d ms, newest published step %d, %s", ms(stopping), stepAtStop, savepoint);

                    produce(kafka, 160, 2);
                    long resumed = System.nanoTime();
                    String job2 = run(jar, args, savepoint);
                    long restored = await("the trainer's restore line in a TaskManager log", Duration.ofSeconds(90),
                            () -> restoredStep(cluster));
                    Latest next = await("a checkpoint published after the resume", Duration.ofSeconds(90),
                            () -> latest(published).filter(l -> l.step() > stepAtStop));
                    log("resume: trainer restored at step %d, published step %d %d ms after submit",
                            restored, next.step(), ms(resumed));
                    assertTrue(restored >= stepAtStop && restored > 0,
                            "the trainer restores the savepoint's step, at or after the last published " + stepAtStop);
                    cancel(job2);
                } catch (Exception | AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\ncluster logs:\n" + cluster.tails(40), e);
                }
            }
        }
        // A failed run keeps its work directory, logs included, for reading; a passed one holds
        // nothing worth its ~80 MB (Kafka's log, the uploaded jar, checkpoints).
        deleteRecursively(work);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static List<String> jobArgs(EmbeddedKafka kafka, Path published) {
        return List.of(
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--kafka.topics", TOPIC,
                "--kafka.dead-letter-topic", DEAD,
                "--kafka.starting-offsets", "earliest",
                "--publish.uri", published.toUri().toString(),
                "--publish.every-steps", "5",
                "--model.width", "4",
                "--crops.global-size", "16",
                "--crops.local-size", "8",
                "--train.batch-size", "8",
                "--flink.checkpoint-interval-ms", "2000",
                "--flink.parallelism", "2");
    }

    private static void produce(EmbeddedKafka kafka, long images, long seed) {
        Properties props = new Properties();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        DatasetProducer.Result r = new DatasetProducer("synthetic", TOPIC, 0, false, images, seed)
                .run(props, new AtomicBoolean(), new AtomicLong());
        assertEquals(images, r.acknowledged(), "images the broker took: " + r);
    }

    // --- Flink's REST API -------------------------------------------------------------------

    /** POST /jars/upload, multipart as the dashboard sends it; returns the jar id. */
    private String upload(Path jar) throws IOException, InterruptedException {
        String boundary = "----dinostream" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(Files.readAllBytes(jar));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonObject r = send(HttpRequest.newBuilder(rest.resolve("/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        String filename = r.get("filename").getAsString();
        return Path.of(filename).getFileName().toString();
    }

    /** POST /jars/:id/run; returns the job id. */
    private String run(String jar, List<String> args, String savepoint) throws IOException, InterruptedException {
        JsonObject request = new JsonObject();
        JsonArray programArgs = new JsonArray();
        args.forEach(programArgs::add);
        request.add("programArgsList", programArgs);
        if (savepoint != null) {
            request.addProperty("savepointPath", savepoint);
        }
        return post("/jars/" + jar + "/run", request).get("jobid").getAsString();
    }

    /** POST /jobs/:id/stop, then polls the savepoint trigger; returns the savepoint's location. */
    private String stopWithSavepoint(String job, Path dir) throws Exception {
        JsonObject request = new JsonObject();
        request.addProperty("targetDirectory", dir.toUri().toString());
        request.addProperty("drain", false);
        String trigger = post("/jobs/" + job + "/stop", request).get("request-id").getAsString();
        return await("the savepoint", Duration.ofSeconds(60), () -> {
            JsonObject s = get("/jobs/" + job + "/savepoints/" + trigger).getAsJsonObject();
            if (!s.getAsJsonObject("status").get("id").getAsString().equals("COMPLETED")) {
                return Optional.empty();
            }
            JsonObject op = s.getAsJsonObject("operation");
            if (op.has("failure-cause")) {
                throw new IllegalStateException("stop with savepoint failed: " + op.get("failure-cause"));
            }
            return Optional.of(op.get("location").getAsString());
        });
    }

    private void cancel(String job) throws IOException, InterruptedException {
        http.send(HttpRequest.newBuilder(rest.resolve("/jobs/" + job + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The TrainDino vertex's {@code step} gauge, from /jobs/:id/vertices/:vid/metrics. */
    private Optional<Long> stepGauge(String job) throws IOException, InterruptedException {
        String base = "/jobs/" + job + "/vertices/" + vertex(job, "TrainDino") + "/metrics";
        for (JsonElement m : get(base).getAsJsonArray()) {
            String id = m.getAsJsonObject().get("id").getAsString();
            if (id.endsWith(".step")) {
                JsonArray values = get(base + "?get=" + id).getAsJsonArray();
                return values.isEmpty() ? Optional.empty()
                        : Optional.of((long) Double.parseDouble(values.get(0).getAsJsonObject().get("value").getAsString()));
            }
        }
        return Optional.empty();
    }

    /** How many TaskManagers run subtasks of the job's vertices with parallelism 2. */
    private int taskManagersRunning(String job) throws IOException, InterruptedException {
        List<String> hosts = new ArrayList<>();
        for (JsonElement v : get("/jobs/" + job).getAsJsonObject().getAsJsonArray("vertices")) {
            if (v.getAsJsonObject().get("parallelism").getAsInt() < 2) {
                continue;
            }
            String vid = v.getAsJsonObject().get("id").getAsString();
            for (JsonElement s : get("/jobs/" + job + "/vertices/" + vid).getAsJsonObject().getAsJsonArray("subtasks")) {
                String tm = s.getAsJsonObject().get("taskmanager-id").getAsString();
                if (!hosts.contains(tm)) {
                    hosts.add(tm);
                }
            }
        }
        return hosts.size();
    }

    private String vertex(String job, String nameContains) throws IOException, InterruptedException {
        for (JsonElement v : get("/jobs/" + job).getAsJsonObject().getAsJsonArray("vertices")) {
            if (v.getAsJsonObject().get("name").getAsString().contains(nameContains)) {
                return v.getAsJsonObject().get("id").getAsString();
            }
        }
        throw new IllegalStateException("no vertex named *" + nameContains + "* in job " + job);
    }

    private JsonElement get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(rest.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body());
    }

    private JsonObject post(String path, JsonObject body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(rest.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    private JsonObject send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException(r.request().method() + " " + r.request().uri().getPath() + ": HTTP "
                    + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    // --- what the job leaves behind ---------------------------------------------------------

    private static Optional<Latest> latest(Path published) throws IOException {
        Path file = published.resolve(Latest.FILE);
        return Files.exists(file) ? Optional.of(Latest.parse(Files.readAllBytes(file), file.toString())) : Optional.empty();
    }

    private static Optional<Long> restoredStep(LocalCluster cluster) throws IOException {
        try (Stream<Path> logs = Files.list(cluster.logDir())) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("taskmanager")).toList()) {
                Matcher m = RESTORED.matcher(Files.readString(log, StandardCharsets.UTF_8));
                if (m.find()) {
                    return Optional.of(Long.parseLong(m.group(1)));
                }
            }
        }
        return Optional.empty();
    }

    @FunctionalInterface
    private interface Probe<T> {
        Optional<T> get() throws Exception;
    }

    private static <T> T await(String what, Duration timeout, Probe<T> probe) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Optional<T> value = probe.get();
                if (value.isPresent()) {
                    return value.get();
                }
            } catch (IOException e) {
                // not there yet (REST endpoint, metric or file)
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no " + what + " within " + timeout.toSeconds() + " s");
    }

    private static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    private static void log(String format, Object... args) {
        System.out.println("[ClusterIT] " + String.format(format, args));
    }
}
