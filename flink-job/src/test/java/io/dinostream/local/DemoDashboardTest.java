package io.dinostream.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.DinoStreamJob;
import io.dinostream.FlinkSettings;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo's local Flink, started with the demo's configuration and running a job: its
 * unauthenticated endpoints listen on loopback only, and its dashboard takes no jars. Listening
 * sockets are read from /proc (Linux), so no traffic leaves loopback.
 */
final class DemoDashboardTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static int webPort;
    private static List<Listener> flinkListeners;
    private static JobClient job;

    @BeforeAll
    static void startTheDemosFlinkWithAJob() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            webPort = probe.getLocalPort();
        }
        Set<Listener> before = new HashSet<>(listenersOfThisProcess());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(
                DinoStreamJob.localRun(new FlinkSettings(0, "", 1, "", webPort), "127.0.0.1"));
        env.fromSequence(0, Long.MAX_VALUE).map(new Slowly()).sinkTo(new DiscardingSink<>());
        job = env.executeAsync("dashboard test");
        awaitRunning();
        flinkListeners = new ArrayList<>(listenersOfThisProcess());
        flinkListeners.removeAll(before);
    }

    @AfterAll
    static void stopTheJob() throws Exception {
        if (job != null) {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void everySocketFlinkListensOnIsLoopbackOnly() {
        assertTrue(flinkListeners.stream().anyMatch(l -> l.port() == webPort),
                "the REST port " + webPort + " is among Flink's listeners: " + flinkListeners);
        for (Listener listener : flinkListeners) {
            assertTrue(listener.address().isLoopbackAddress(),
                    "Flink listens on " + listener + ", reachable from other machines: " + flinkListeners);
        }
    }

    @Test
    void aJarUploadIsRefused() throws Exception {
        // What the dashboard's "Submit New Job" page (or curl -F jarfile=@job.jar) sends.
        String multipart = "--b\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"job.jar\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\nnot really a jar\r\n--b--\r\n";
        HttpResponse<String> upload = send(HttpRequest.newBuilder(rest("/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofString(multipart)));
        assertEquals(400, upload.statusCode(), "POST /jars/upload: " + upload.body());
        assertTrue(upload.body().contains("not allowed"), upload.body());
        assertEquals(404, send(HttpRequest.newBuilder(rest("/jars")).GET()).statusCode(), "GET /jars");
    }

    @Test
    void theDashboardOffersNeitherSubmitNorCancelNorRescale() throws Exception {
        HttpResponse<String> config = send(HttpRequest.newBuilder(rest("/config")).GET());
        assertEquals(200, config.statusCode());
        JsonObject features = JsonParser.parseString(config.body()).getAsJsonObject().getAsJsonObject("features");
        assertEquals(false, features.get("web-submit").getAsBoolean(), config.body());
        assertEquals(false, features.get("web-cancel").getAsBoolean(), config.body());
        assertEquals(false, features.get("web-rescale").getAsBoolean(), config.body());
    }

    // --- helpers ------------------------------------------------------------------------------

    /** A listening TCP socket: its local address and port. */
    record Listener(InetAddress address, int port) {
        @Override
        public String toString() {
            return address.getHostAddress() + ":" + port;
        }
    }

    /** The TCP sockets in LISTEN state that this JVM holds, from /proc/net/tcp and tcp6. */
    private static List<Listener> listenersOfThisProcess() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // an fd closed while listing
                }
            }
        }
        List<Listener> listeners = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path file = Path.of(table);
            if (!Files.exists(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file).subList(1, Files.readAllLines(file).size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
                    String[] local = f[1].split(":");
                    listeners.add(new Listener(InetAddress.getByAddress(procAddress(local[0])),
                            Integer.parseInt(local[1], 16)));
                }
            }
        }
        return listeners;
    }

    /** /proc/net/tcp* write addresses as 32-bit words in host (little-endian) order. */
    private static byte[] procAddress(String hex) {
        byte[] raw = HexFormat.of().parseHex(hex);
        byte[] address = new byte[raw.length];
        for (int word = 0; word < raw.length; word += 4) {
            for (int i = 0; i < 4; i++) {
                address[word + i] = raw[word + 3 - i];
            }
        }
        return address;
    }

    private static URI rest(String path) {
        return URI.create("http://127.0.0.1:" + webPort + path);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitRunning() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!job.getJobStatus().get().toString().equals("RUNNING")) {
            assertTrue(System.nanoTime() < deadline, "job did not start: " + job.getJobStatus().get());
            Thread.sleep(100);
        }
    }

    /** Lets the job run for as long as the test needs without using a core. */
    private static final class Slowly implements MapFunction<Long, Long> {
        @Override
        public Long map(Long value) throws InterruptedException {
            Thread.sleep(50);
            return value;
        }
    }
}
