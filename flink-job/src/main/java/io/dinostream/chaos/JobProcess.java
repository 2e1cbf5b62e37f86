package io.dinostream.chaos;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The DINO Stream job as users run it outside a cluster, {@code dinostream job}, in a JVM of its
 * own, so that it can be killed with SIGKILL and started again. Each start resumes from the
 * newest completed Flink checkpoint ({@code --flink.resume-from newest}); its output goes to a
 * numbered log file; its Flink REST API (on loopback) tells its job id and source position and
 * takes the final drain.
 */
final class JobProcess {

    private static final Pattern RESTORED = Pattern.compile("restored DINO trainer at step (\\d+)");

    private final List<String> jobArgs;
    private final Path logDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;
    private Path log;
    private int restPort;
    private int starts;

    /** @param jobArgs the job's options, without {@code --flink.rest-port} and {@code --flink.resume-from} */
    JobProcess(List<String> jobArgs, Path logDir) {
        this.jobArgs = List.copyOf(jobArgs);
        this.logDir = logDir;
    }

    /** Starts the job in a new JVM on the classpath of this one. */
    void start() throws IOException {
        restPort = ChaosRun.freePort();
        starts++;
        log = logDir.resolve("job-" + starts + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                "io.dinostream.cli.DinoStreamMain", "job"));
        command.addAll(jobArgs);
        command.addAll(List.of("--flink.rest-port", Integer.toString(restPort), "--flink.resume-from", "newest"));
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** SIGKILL, as the OOM killer or a node failure would: no shutdown hook, nothing flushed. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(60, TimeUnit.SECONDS);
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    int starts() {
        return starts;
    }

    /** The step the trainer of the current start restored from, once its log says so. */
    Optional<Long> restoredStep() {
        try {
            Matcher m = RESTORED.matcher(Files.readString(log, StandardCharsets.UTF_8));
            return m.find() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The last lines of the current start's log, for error messages. */
    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The running job's id, once the REST API answers. */
    Optional<String> jobId() {
        try {
            JsonArray jobs = get("/jobs").getAsJsonArray("jobs");
            for (JsonElement j : jobs) {
                if (j.getAsJsonObject().get("status").getAsString().equals("RUNNING")) {
                    return Optional.of(j.getAsJsonObject().get("id").getAsString());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not up yet
        }
        return Optional.empty();
    }

    /**
     * The Kafka source's position in a partition (the offset of the last record it read), from
     * its {@code currentOffset} metric; empty while the REST API or the metric is not there.
     */
    Optional<Long> sourceOffset(String jobId, String topic, int partition) {
        try {
            String suffix = "KafkaSourceReader.topic." + topic + ".partition." + partition + ".currentOffset";
            for (JsonElement v : get("/jobs/" + jobId).getAsJsonArray("vertices")) {
                String vertex = v.getAsJsonObject().get("id").getAsString();
                if (!v.getAsJsonObject().get("name").getAsString().startsWith("Source: Kafka")) {
                    continue;
                }
                String base = "/jobs/" + jobId + "/vertices/" + vertex + "/subtasks/metrics";
                for (JsonElement m : getArray(base)) {
                    String id = m.getAsJsonObject().get("id").getAsString();
                    if (id.endsWith(suffix)) {
                        JsonArray values = getArray(base + "?get=" + id);
                        JsonObject value = values.get(0).getAsJsonObject();
                        String max = value.has("max") ? value.get("max").getAsString() : value.get("value").getAsString();
                        return Optional.of((long) Double.parseDouble(max));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not up yet
        }
        return Optional.empty();
    }

    /**
     * Stops the job as {@code flink stop --drain} does: the source ends, the trainer trains what
     * it holds and publishes a final checkpoint, and the process exits. Returns its exit code.
     */
    int drain(String jobId, Path savepoints, Duration timeout) throws IOException, InterruptedException {
        JsonObject body = new JsonObject();
        body.addProperty("drain", true);
        body.addProperty("targetDirectory", savepoints.toUri().toString());
        HttpRequest request = HttpRequest.newBuilder(uri("/jobs/" + jobId + "/stop"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("stop --drain was refused: HTTP " + response.statusCode() + " " + response.body());
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IOException("the job did not finish within " + timeout.toSeconds() + " s of stop --drain:\n"
                    + tail(30));
        }
        return process.exitValue();
    }

    /** Ends the process if it is still there (the run is over or failed). */
    void destroy() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private JsonObject get(String path) throws IOException {
        return JsonParser.parseString(fetch(path)).getAsJsonObject();
    }

    private JsonArray getArray(String path) throws IOException {
        return JsonParser.parseString(fetch(path)).getAsJsonArray();
    }

    private String fetch(String path) throws IOException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("HTTP " + r.statusCode() + " for " + path);
            }
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + restPort + path);
    }
}
