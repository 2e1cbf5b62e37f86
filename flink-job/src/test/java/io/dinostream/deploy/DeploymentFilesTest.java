package io.dinostream.deploy;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.DinoStreamJob;
import io.dinostream.JobConfig;
import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathFactory;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalResourceOptions;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.appender.RollingFileAppender;
import org.apache.logging.log4j.core.appender.rolling.CompositeTriggeringPolicy;
import org.apache.logging.log4j.core.appender.rolling.DefaultRolloverStrategy;
import org.apache.logging.log4j.core.appender.rolling.SizeBasedTriggeringPolicy;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.properties.PropertiesConfiguration;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The deployment files (docker/, k8s/) are checked statically, since no Docker engine or cluster
 * runs here: every file parses; the job's arguments pass the job's own option parser; every Flink
 * configuration key is a current Flink option whose value parses; the FlinkDeployment passes the
 * operator's validation ({@link OperatorValidation}); versions match the ones the jar is built
 * with; and the files agree with each other (hosts, ports, topics, buckets, secrets, volumes,
 * storage, where the image puts the job jar and DJL).
 */
final class DeploymentFilesTest {

    private static final String JAR_IN_IMAGE = "/opt/flink/usrlib/dino-stream-cluster.jar";
    private static final String LIB_IN_IMAGE = "/opt/flink/lib/";

    private static Path root;
    private static Map<String, ConfigOption<?>> flinkOptions;
    private static Set<String> deprecatedFlinkKeys;

    @BeforeAll
    static void setUp() throws Exception {
        root = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(root.resolve("docker")) || !Files.isDirectory(root.resolve("k8s"))) {
            root = root.getParent();
            assertNotNull(root, "no docker/ and k8s/ above the working directory");
        }
        loadFlinkOptions();
    }

    // --- the image ----------------------------------------------------------------------------

    @Test
    void imageIsTheOfficialFlinkImageOfTheBuiltVersionWithDjlInLibAndTheClusterJarInUsrlib() throws Exception {
        List<String> lines = Files.readAllLines(root.resolve("docker/Dockerfile"));
        String flinkArg = single(lines, Pattern.compile("^ARG FLINK_VERSION=(\\S+)$"));
        assertEquals(EnvironmentInformation.getVersion(), flinkArg, "FLINK_VERSION in docker/Dockerfile");
        List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
        assertEquals("FROM flink:${FLINK_VERSION}-java17", froms.get(froms.size() - 1), "runtime stage");

        // What flink-job/pom.xml builds for a cluster: the shaded jar whose entry class is the job's,
        // and the folder copy-dependencies fills with DJL and libtorch.
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(root.resolve("flink-job/pom.xml").toFile());
        XPath xpath = XPathFactory.newInstance().newXPath();
        String clusterJar = xpath.evaluate("//plugin[artifactId='maven-shade-plugin']//execution[.//mainClass='"
                + DinoStreamJob.class.getName() + "']//finalName", pom) + ".jar";
        String flinkLib = xpath.evaluate("//plugin[artifactId='maven-dependency-plugin']"
                + "//execution[goals/goal='copy-dependencies']//outputDirectory", pom)
                .replace("${project.build.directory}/", "");
        assertEquals("dino-stream-cluster.jar", clusterJar);
        assertEquals("flink-lib", flinkLib);

        List<String> copies = lines.stream().filter(l -> l.startsWith("COPY --from=build ")).toList();
        assertEquals(2, copies.size(), "the runtime stage copies the lib jars and the job jar: " + copies);
        assertTrue(copies.get(0).endsWith(" /src/flink-job/target/" + flinkLib + "/ " + LIB_IN_IMAGE),
                "first (its layer changes least) DJL and libtorch to " + LIB_IN_IMAGE + ": " + copies.get(0));
        assertTrue(copies.get(1).endsWith(" /src/flink-job/target/" + clusterJar + " " + JAR_IN_IMAGE),
                "then the cluster jar to " + JAR_IN_IMAGE + ": " + copies.get(1));
        for (String copyModule : List.of("COPY pom.xml ./", "COPY proto proto", "COPY flink-job flink-job")) {
            assertTrue(lines.contains(copyModule), "the build stage has: " + copyModule);
        }
    }

    @Test
    void imageCreatesItsDirectoriesAsRootAndRunsAsFlink() throws IOException {
        List<String> runtime = runtimeStage();
        List<String> users = runtime.stream().filter(l -> l.startsWith("USER ")).toList();
        assertEquals("USER flink", users.get(users.size() - 1), "the image runs as the Flink image's user");
        for (int i = 0; i < runtime.size(); i++) {
            if (runtime.get(i).startsWith("RUN mkdir -p /var/")) {
                String user = "USER flink";
                for (String line : runtime.subList(0, i)) {
                    user = line.startsWith("USER ") ? line : user;
                }
                assertEquals("USER root", user, "only root creates directories under /var: " + runtime.get(i));
            }
        }
    }

    @Test
    void imageHasThePrometheusReporterK8sConfigures() throws IOException {
        String factory = flinkDeploymentConfiguration().get("metrics.reporter.prom.factory.class");
        Class<?> type = assertDoesNotThrow(() -> Class.forName(factory), "a class of flink-metrics-prometheus");
        assertTrue(MetricReporterFactory.class.isAssignableFrom(type), factory + " is a MetricReporterFactory");
        String jar = type.getProtectionDomain().getCodeSource().getLocation().getPath();
        assertTrue(jar.endsWith("/flink-metrics-prometheus-" + EnvironmentInformation.getVersion() + ".jar"),
                "the reporter of the image's Flink version: " + jar);
        // The Flink distribution ships it in plugins/ (flink-dist's plugins.xml), loaded without
        // ENABLE_BUILT_IN_PLUGINS; the image build fails if it is not there.
        List<String> runtime = runtimeStage();
        assertTrue(runtime.contains("ARG FLINK_VERSION"), "FLINK_VERSION reaches the runtime stage");
        assertTrue(runtime.stream().anyMatch(l -> l.startsWith("RUN test -f")
                        && l.contains("\"/opt/flink/plugins/metrics-prometheus/flink-metrics-prometheus-${FLINK_VERSION}.jar\"")),
                "the build checks the reporter is in plugins/");
    }

    // --- docker/Dockerfile.gpu ----------------------------------------------------------------

    @Test
    void gpuImageIsFlinkOnTheCuda128RuntimeWithTheCudaLibtorchThroughPytorchLibraryPath() throws IOException {
        List<String> lines = Files.readAllLines(root.resolve("docker/Dockerfile.gpu"));
        assertEquals(EnvironmentInformation.getVersion(), single(lines, Pattern.compile("^ARG FLINK_VERSION=(\\S+)$")));
        String cuda = single(lines, Pattern.compile("^ARG CUDA_IMAGE=(\\S+)$"));
        assertTrue(cuda.matches("nvidia/cuda:12\\.8\\.\\d+-runtime-ubuntu\\d\\d\\.04"), "a CUDA 12.8 runtime base: " + cuda);
        List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
        assertEquals("FROM ${CUDA_IMAGE}", froms.get(froms.size() - 1), "the runtime stage stands on CUDA");
        assertTrue(froms.contains("FROM flink:${FLINK_VERSION}-java17 AS flink"), "Flink from the official image");
        assertTrue(lines.contains("COPY --from=flink --chown=flink:flink /opt/flink /opt/flink"), "Flink's distribution");

        // libtorch: PyTorch's archive of the version and a flavor whose JNI DJL's pytorch-jni jar carries
        String version = single(lines, Pattern.compile("^ENV PYTORCH_VERSION=(\\S+)$"));
        String flavor = single(lines, Pattern.compile("^ENV PYTORCH_FLAVOR=(\\S+)$"));
        assertEquals(io.dinostream.model.LibTorch.loaded().version(), version, "the libtorch version DJL is built for");
        assertEquals("cu128", flavor);
        assertNotNull(DeploymentFilesTest.class.getResource("/jnilib/linux-x86_64/" + flavor + "/libdjl_torch.so"),
                "DJL's pytorch-jni jar holds the JNI for " + flavor);
        String url = single(lines, Pattern.compile("^ARG LIBTORCH_URL=(\\S+)$"));
        assertEquals("https://download.pytorch.org/libtorch/" + flavor + "/libtorch-cxx11-abi-shared-with-deps-"
                + version + "%2B" + flavor + ".zip", url);
        assertEquals("/opt/libtorch/lib", single(lines, Pattern.compile("^ENV PYTORCH_LIBRARY_PATH=(\\S+)$")));
        assertTrue(lines.contains("COPY --from=libtorch /opt/libtorch /opt/libtorch"));
        String text = String.join("\n", lines);
        assertTrue(text.contains("sha256sum -c -"), "the archive is checked against LIBTORCH_SHA256");
        assertTrue(lines.contains("ARG LIBTORCH_SHA256="), "no checksum is made up: the build is given it");
        assertTrue(text.contains("test -n \"${LIBTORCH_SHA256}\""), "the build refuses to run without it");
        assertTrue(text.contains("test -f /opt/libtorch/lib/libtorch_cuda.so"), "a CUDA build of libtorch");

        // DJL in lib/ without any native jar; the cluster jar in usrlib; the plugins the GPU manifest uses
        assertTrue(text.contains("rm /src/flink-lib-gpu/pytorch-native-*.jar"), "the CPU libtorch jar is left out");
        assertTrue(lines.contains("COPY --from=build --chown=flink:flink /src/flink-lib-gpu/ " + LIB_IN_IMAGE));
        assertTrue(lines.contains("RUN ! ls /opt/flink/lib | grep -q pytorch-native"), "checked in the image");
        assertTrue(lines.contains("COPY --from=build --chown=flink:flink /src/flink-job/target/dino-stream-cluster.jar "
                + JAR_IN_IMAGE));
        assertTrue(text.contains("/opt/flink/plugins/external-resource-gpu/flink-external-resource-gpu-${FLINK_VERSION}.jar"),
                "the GPU driver k8s/dino-stream-gpu.yaml configures ships in plugins/");
        assertTrue(text.contains("test -x /opt/flink/plugins/external-resource-gpu/nvidia-gpu-discovery.sh"));
        List<String> users = lines.stream().filter(l -> l.startsWith("USER ")).toList();
        assertEquals("USER flink", users.get(users.size() - 1));
        assertEquals("[\"/docker-entrypoint.sh\"]", single(lines, Pattern.compile("^ENTRYPOINT (.+)$")),
                "the Flink image's entrypoint, which the operator and compose call");
    }

    // --- k8s/dino-stream-gpu.yaml -------------------------------------------------------------

    @Test
    void gpuFlinkDeploymentPassesTheOperatorsValidationWithCurrentFlinkOptions() throws IOException {
        Map<String, Object> deployment = k8s("FlinkDeployment", "dino-stream-gpu");
        assertEquals(Optional.empty(), OperatorValidation.validateDeployment(deployment));
        assertFlinkConfiguration(OperatorValidation.flinkConfiguration(map(deployment.get("spec"))));
        assertDashboardTakesNoJarsAndShowsNoCancel(OperatorValidation.flinkConfiguration(map(deployment.get("spec"))));
    }

    @Test
    void gpuTaskManagersDeclareOneGpuAsFlinksExternalResourceAndAskKubernetesForIt() throws Exception {
        Map<String, Object> spec = map(k8s("FlinkDeployment", "dino-stream-gpu").get("spec"));
        Configuration flink = Configuration.fromMap(OperatorValidation.flinkConfiguration(spec));
        var gpu = org.apache.flink.runtime.externalresource.ExternalResourceUtils.getExternalResourcesCollection(flink);
        assertEquals(1, gpu.size(), "external resources: " + gpu);
        assertEquals(org.apache.flink.api.common.resources.ExternalResource.class, gpu.iterator().next().getClass());
        assertEquals("gpu", gpu.iterator().next().getName());
        assertEquals(1.0, gpu.iterator().next().getValue().doubleValue());
        Map<String, String> keys = org.apache.flink.runtime.externalresource.ExternalResourceUtils
                .getExternalResourceConfigurationKeys(flink, "kubernetes.config-key");
        assertEquals(Map.of("gpu", "nvidia.com/gpu"), keys);
        String factory = flink.toMap().get("external-resource.gpu.driver-factory.class");
        assertEquals("org.apache.flink.externalresource.gpu.GPUDriverFactory", factory);

        Map<String, Object> taskManager = map(spec.get("taskManager"));
        assertEquals(1, taskManager.get("replicas"), "one GPU TaskManager");
        Map<String, Object> pod = map(map(taskManager.get("podTemplate")).get("spec"));
        Map<String, Object> main = maps(pod.get("containers")).get(0);
        assertEquals("flink-main-container", main.get("name"));
        assertEquals(1, map(map(main.get("resources")).get("limits")).get("nvidia.com/gpu"),
                "the pod asks Kubernetes for the GPU Flink declares");
        assertFalse(map(pod.get("nodeSelector")).isEmpty(), "a node selector, as an example");
        assertTrue(maps(pod.get("tolerations")).stream().anyMatch(t -> "nvidia.com/gpu".equals(t.get("key"))),
                "a toleration of the GPU nodes' taint, as an example");
        assertEquals(composeService("jobmanager").get("image").toString().replace("dino-stream:", "dino-stream-gpu:"),
                spec.get("image"), "the image docker/Dockerfile.gpu builds");
    }

    @Test
    void theTrainerSlotAsksForTheGpuAndFitsTheGpuTaskManager() throws IOException {
        Map<String, Object> spec = map(k8s("FlinkDeployment", "dino-stream-gpu").get("spec"));
        JobConfig config = JobConfig.fromArgs(strings(map(spec.get("job")).get("args")));
        assertEquals("gpu:0", config.trainer().device().toString());
        assertEquals("gpu", config.trainer().slotSharingGroup());
        var group = config.trainer().slotResources().group(config.trainer().slotSharingGroup());
        assertEquals(Optional.of(1.0), Optional.ofNullable(group.getExternalResources().get("gpu")),
                "the trainer's slot needs the external resource gpu, which only the GPU TaskManagers offer");
        Map<String, String> configuration = OperatorValidation.flinkConfiguration(spec);
        assertTrue(MemorySize.parse(configuration.get(TaskManagerOptions.TASK_OFF_HEAP_MEMORY.key())).getBytes()
                >= group.getTaskOffHeapMemory().get().getBytes(), "the GPU TaskManager offers the slot's off-heap");
        Number cpus = (Number) map(map(spec.get("taskManager")).get("resource")).get("cpu");
        assertTrue(group.getCpuCores().get() <= cpus.doubleValue(), "and its CPUs");
        assertTrue(config.crops().parallelism() > 1, "the CPU stages scale out");
    }

    @Test
    void cpuTaskManagersJoinTheGpuClusterWithItsConfigurationAndDeclareNoGpu() throws Exception {
        Map<String, Object> cpu = k8s("Deployment", "dino-stream-gpu-cpu-taskmanager");
        Map<String, Object> deployment = k8s("FlinkDeployment", "dino-stream-gpu");
        Map<String, Object> spec = map(deployment.get("spec"));
        assertEquals("standalone", spec.get("mode"), "TaskManagers not started by Flink may join only a standalone cluster");
        Map<String, Object> pod = map(map(map(cpu.get("spec")).get("template")).get("spec"));
        Map<String, Object> container = maps(pod.get("containers")).get(0);
        assertEquals(spec.get("image"), container.get("image"));
        assertEquals(spec.get("serviceAccount"), pod.get("serviceAccountName"), "reads the HA leader like the others");
        String configMap = map(maps(pod.get("volumes")).get(0).get("configMap")).get("name").toString();
        assertEquals("flink-config-" + map(deployment.get("metadata")).get("name"), configMap,
                "the operator's ConfigMap of that cluster");
        List<String> args = strings(container.get("args"));
        assertEquals("taskmanager", args.get(0));
        Map<String, String> merged = new LinkedHashMap<>(OperatorValidation.flinkConfiguration(spec));
        for (String arg : args.subList(1, args.size())) {
            assertTrue(arg.startsWith("-D") && arg.contains("="), arg);
            merged.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
        }
        assertFlinkConfiguration(merged);
        assertTrue(org.apache.flink.runtime.externalresource.ExternalResourceUtils
                .getExternalResourcesCollection(Configuration.fromMap(merged)).isEmpty(),
                "a CPU TaskManager offers no gpu, so the trainer's slot never lands there");
        assertFalse(String.valueOf(container.get("resources")).contains("nvidia.com/gpu"));
        assertDoesNotThrow(() -> TaskExecutorProcessUtils.processSpecFromConfig(Configuration.fromMap(merged)));
        Map<String, String> env = new LinkedHashMap<>();
        maps(container.get("env")).forEach(e -> env.put(e.get("name").toString(), String.valueOf(e.get("value"))));
        assertEquals(containerEnv(spec).keySet(), env.keySet(), "the same S3 plugin and keys as the cluster's pods");
    }

    // --- docker/compose.yaml ------------------------------------------------------------------

    @Test
    void composeJobManagerRunsTheJobWithOptionsTheJobAccepts() throws IOException {
        Map<String, Object> jobManager = composeService("jobmanager");
        List<String> command = strings(jobManager.get("command"));
        assertEquals(List.of("standalone-job", "--job-classname", DinoStreamJob.class.getName()),
                command.subList(0, 3));
        JobConfig config = assertDoesNotThrow(() -> JobConfig.fromArgs(command.subList(3, command.size())));
        assertTrue(config.flink().checkpointDir().startsWith("file://"));
        assertEquals("taskmanager", strings(composeService("taskmanager").get("command")).get(0));
    }

    @Test
    void composeServicesAgreeWithTheJobsKafkaAndS3Settings() throws IOException {
        Map<String, Object> services = map(compose().get("services"));
        JobConfig config = composeJobConfig();

        Map<String, Object> kafkaEnv = map(composeService("kafka").get("environment"));
        String bootstrap = config.kafka().bootstrapServers();
        assertTrue(services.containsKey(host(bootstrap)), "bootstrap host is a compose service: " + bootstrap);
        assertTrue(List.of(kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS").toString().split(","))
                        .stream().anyMatch(l -> l.endsWith("://" + bootstrap)),
                "Kafka advertises " + bootstrap);
        assertDoesNotThrow(() -> Uuid.fromString(kafkaEnv.get("CLUSTER_ID").toString()), "KRaft cluster id");
        assertTrue(((Number) kafkaEnv.get("KAFKA_MESSAGE_MAX_BYTES")).longValue() >= config.ingest().decodeLimits().maxBytes(),
                "Kafka takes messages as large as the job accepts");
        Set<String> topics = matches(strings(composeService("kafka-init").get("command")).get(0),
                Pattern.compile("--topic (\\S+)"));
        assertTrue(topics.containsAll(jobTopics(config)), "kafka-init creates " + jobTopics(config) + ": " + topics);

        URI endpoint = URI.create(config.publish().s3().endpoint());
        assertTrue(services.containsKey(endpoint.getHost()), "S3 endpoint is a compose service: " + endpoint);
        assertTrue(strings(composeService("minio").get("ports")).stream().anyMatch(p -> p.endsWith(":" + endpoint.getPort())),
                "MinIO serves S3 on the endpoint's port " + endpoint.getPort());
        Set<String> buckets = matches(strings(composeService("minio-init").get("command")).get(0),
                Pattern.compile("mc mb --ignore-existing \\w+/([a-z0-9.-]+)"));
        assertEquals(Set.of(URI.create(config.publish().uri()).getHost()), buckets, "minio-init creates the bucket");
    }

    @Test
    void composeFlinkPropertiesAreCurrentFlinkOptionsWithValidValues() throws IOException {
        Map<String, Object> jobManagerEnv = map(composeService("jobmanager").get("environment"));
        Map<String, Object> taskManagerEnv = map(composeService("taskmanager").get("environment"));
        assertEquals(jobManagerEnv, taskManagerEnv, "job- and taskmanager share one environment");
        assertTrue(jobManagerEnv.containsKey("AWS_ACCESS_KEY_ID") && jobManagerEnv.containsKey("AWS_SECRET_ACCESS_KEY"),
                "the publisher's S3 credentials");
        Map<String, String> properties = flinkProperties(jobManagerEnv);
        assertFlinkConfiguration(properties);
        assertEquals("jobmanager", properties.get("jobmanager.rpc.address"));
    }

    @Test
    void composeDashboardTakesNoJarsShowsNoCancelAndIsPublishedOnTheHostsLoopbackOnly() throws IOException {
        assertDashboardTakesNoJarsAndShowsNoCancel(flinkProperties(map(composeService("jobmanager").get("environment"))));
        // Flink's REST API has no login and cancels jobs even with the button hidden: not for the network.
        assertEquals(List.of("127.0.0.1:8081:8081"), strings(composeService("jobmanager").get("ports")));
    }

    @Test
    void composePublishesEveryPortOnTheHostsLoopbackOnly() throws IOException {
        // Kafka's host listener is plaintext without authentication, MinIO's default keys are for a
        // laptop and Flink's REST API has no login: none of them is for the network as shipped.
        Map<String, Object> services = map(compose().get("services"));
        int published = 0;
        for (Map.Entry<String, Object> e : services.entrySet()) {
            Object ports = map(e.getValue()).get("ports");
            if (ports == null) {
                continue;
            }
            for (String port : strings(ports)) {
                assertTrue(port.startsWith("127.0.0.1:") && port.split(":").length == 3,
                        e.getKey() + " publishes " + port + " beyond the host's loopback");
                published++;
            }
        }
        assertEquals(4, published, "Kafka, MinIO's API and console, and the dashboard");
    }

    @Test
    void composeReferencesOnlyDeclaredServicesAndVolumesAndPinnedImages() throws IOException {
        Map<String, Object> compose = compose();
        Map<String, Object> services = map(compose.get("services"));
        Set<String> volumes = map(compose.get("volumes")).keySet();
        String kafkaVersion = AppInfoParser.getVersion();
        services.forEach((name, value) -> {
            Map<String, Object> service = map(value);
            String image = service.get("image").toString();
            assertTrue(image.contains(":") && !image.endsWith(":latest"), name + " pins its image: " + image);
            if (image.startsWith("apache/kafka:")) {
                assertEquals("apache/kafka:" + kafkaVersion, image, name + " runs the Kafka the job's client is");
            }
            Object dependsOn = service.getOrDefault("depends_on", List.of());
            Set<String> needed = dependsOn instanceof Map ? map(dependsOn).keySet() : Set.copyOf(strings(dependsOn));
            assertTrue(services.keySet().containsAll(needed), name + " depends on unknown services: " + needed);
            for (String mount : strings(service.getOrDefault("volumes", List.of()))) {
                assertTrue(volumes.contains(mount.split(":")[0]), name + " mounts an undeclared volume: " + mount);
            }
        });
        Map<String, Object> build = map(composeService("jobmanager").get("build"));
        Path context = root.resolve("docker").resolve(build.get("context").toString()).normalize();
        assertEquals(root, context, "the image builds from the repository root");
        assertTrue(Files.isRegularFile(context.resolve(build.get("dockerfile").toString())));
        assertEquals(composeService("jobmanager").get("image"), composeService("taskmanager").get("image"));

        String checkpoints = URI.create(composeJobConfig().flink().checkpointDir()).getPath();
        for (String manager : List.of("jobmanager", "taskmanager")) {
            assertTrue(strings(composeService(manager).get("volumes")).stream().anyMatch(m -> m.endsWith(":" + checkpoints)),
                    manager + " mounts the checkpoint volume at " + checkpoints);
        }
    }

    @Test
    void composeKafkaKeepsItsLogOnItsVolume() throws IOException {
        Map<String, Object> kafka = composeService("kafka");
        String dataMount = strings(kafka.get("volumes")).stream().filter(m -> m.startsWith("kafka-data:"))
                .findFirst().orElseThrow(() -> new AssertionError("kafka mounts kafka-data"));
        // Unset, the apache/kafka image keeps its log in /tmp/kraft-combined-logs, lost with the container.
        assertEquals(dataMount.split(":")[1], map(kafka.get("environment")).get("KAFKA_LOG_DIRS"));
    }

    @Test
    void composeStartsEachServiceOnceWhatItNeedsIsHealthyOrDone() throws IOException {
        Map<String, Object> services = map(compose().get("services"));
        for (String name : List.of("kafka", "minio", "jobmanager")) {
            assertNotNull(map(services.get(name)).get("healthcheck"), name + " has a healthcheck");
        }
        services.forEach((name, value) -> {
            Object dependsOn = map(value).get("depends_on");
            if (dependsOn == null) {
                return;
            }
            assertTrue(dependsOn instanceof Map, name + " waits for a condition, not only for a start: " + dependsOn);
            map(dependsOn).forEach((needed, condition) -> {
                Map<String, Object> neededService = map(services.get(needed));
                String expected = neededService.containsKey("healthcheck") ? "service_healthy"
                        : "service_completed_successfully";
                assertEquals(expected, map(condition).get("condition"), name + " waits for " + needed);
            });
        });
        assertEquals("service_healthy", map(map(composeService("taskmanager").get("depends_on")).get("jobmanager"))
                .get("condition"));

        // The JobManager is healthy once its REST API answers, asked with a tool the image build checks for.
        List<String> test = strings(map(composeService("jobmanager").get("healthcheck")).get("test"));
        String port = strings(composeService("jobmanager").get("ports")).get(0).replaceAll(".*:", "");
        assertEquals("CMD", test.get(0));
        assertEquals("http://localhost:" + port + "/overview", test.get(test.size() - 1));
        assertTrue(runtimeStage().stream().anyMatch(l -> l.startsWith("RUN ") && l.contains("command -v " + test.get(1))),
                "docker/Dockerfile checks the image has " + test.get(1));
    }

    @Test
    void composeRestartsWhatResumesByItselfAndNotTheJobManager() throws IOException {
        Map<String, Object> services = map(compose().get("services"));
        services.forEach((name, value) -> assertNotNull(map(value).get("restart"), name + " declares a restart policy"));
        for (String oneShot : List.of("kafka-init", "minio-init")) {
            assertEquals("no", composeService(oneShot).get("restart"), oneShot + " runs once");
        }
        for (String resumes : List.of("kafka", "minio", "taskmanager")) {
            assertEquals("unless-stopped", composeService(resumes).get("restart"), resumes + " comes back by itself");
        }
        // Without HA a restarted JobManager would start the job over from an empty model.
        assertFalse(flinkProperties(map(composeService("jobmanager").get("environment"))).containsKey("high-availability.type"));
        assertEquals("no", composeService("jobmanager").get("restart"));
    }

    // --- k8s/ ---------------------------------------------------------------------------------

    @Test
    void everyKubernetesObjectHasAnApiVersionKindAndUniqueName() throws IOException {
        Set<String> seen = new TreeSet<>();
        for (Map<String, Object> object : k8sObjects()) {
            assertTrue(object.get("apiVersion") instanceof String && object.get("kind") instanceof String,
                    "apiVersion and kind: " + object.keySet());
            String id = object.get("kind") + "/" + map(object.get("metadata")).get("name");
            assertFalse(id.endsWith("/null"), "metadata.name of " + id);
            assertTrue(seen.add(id), "defined twice: " + id);
        }
        assertTrue(seen.containsAll(List.of("FlinkDeployment/dino-stream", "Kafka/dino-kafka", "Secret/dino-stream-s3",
                "Service/minio", "Job/minio-create-bucket")), "objects: " + seen);
    }

    @Test
    void flinkDeploymentRunsTheImagesJarWithOptionsTheJobAccepts() throws IOException {
        Map<String, Object> spec = map(k8s("FlinkDeployment", "dino-stream").get("spec"));
        String[] flinkVersion = EnvironmentInformation.getVersion().split("\\.");
        assertEquals("v" + flinkVersion[0] + "_" + flinkVersion[1], spec.get("flinkVersion"));
        assertEquals(composeService("jobmanager").get("image"), spec.get("image"), "the image docker/ builds");

        Map<String, Object> job = map(spec.get("job"));
        assertEquals("local://" + JAR_IN_IMAGE, job.get("jarURI"));
        assertEquals(DinoStreamJob.class.getName(), job.get("entryClass"));
        assertEquals(1, job.get("parallelism"), "the trainer is one task");
        assertDoesNotThrow(() -> JobConfig.fromArgs(strings(job.get("args"))));
    }

    @Test
    void flinkDeploymentConfigurationIsCurrentFlinkOptionsAndMatchesItsResources() throws IOException {
        Map<String, Object> spec = map(k8s("FlinkDeployment", "dino-stream").get("spec"));
        Map<String, String> configuration = new LinkedHashMap<>();
        map(spec.get("flinkConfiguration")).forEach((k, v) -> configuration.put(k, v.toString()));
        assertFlinkConfiguration(configuration);

        Matcher threads = Pattern.compile("-Dai\\.djl\\.pytorch\\.num_threads=(\\d+)")
                .matcher(configuration.get(CoreOptions.FLINK_JVM_OPTIONS.key()));
        assertTrue(threads.find(), "libtorch threads are set for the container");
        Number cpus = (Number) map(map(spec.get("taskManager")).get("resource")).get("cpu");
        assertTrue(Integer.parseInt(threads.group(1)) <= cpus.doubleValue(),
                "libtorch threads " + threads.group(1) + " fit the TaskManager's " + cpus + " CPUs");

        // What the operator hands Flink: the resource's memory as the process size, which Flink
        // divides; the off-heap memory for libtorch must fit in it.
        Map<String, String> withProcessSize = new LinkedHashMap<>(configuration);
        withProcessSize.put(TaskManagerOptions.TOTAL_PROCESS_MEMORY.key(), OperatorValidation.parseResourceMemory(
                map(map(spec.get("taskManager")).get("resource")).get("memory").toString()).orElseThrow().toString());
        TaskExecutorProcessSpec memory = assertDoesNotThrow(
                () -> TaskExecutorProcessUtils.processSpecFromConfig(Configuration.fromMap(withProcessSize)));
        assertEquals(MemorySize.parse(configuration.get(TaskManagerOptions.TASK_OFF_HEAP_MEMORY.key())),
                memory.getTaskOffHeapSize());

        // Flink's own s3:// paths need its S3 plugin, of the same Flink version.
        assertTrue(configuration.values().stream().anyMatch(v -> v.startsWith("s3://")));
        Map<String, String> env = containerEnv(spec);
        assertEquals("flink-s3-fs-hadoop-" + EnvironmentInformation.getVersion() + ".jar", env.get("ENABLE_BUILT_IN_PLUGINS"));
        assertTrue(env.containsKey("AWS_ACCESS_KEY_ID") && env.containsKey("AWS_SECRET_ACCESS_KEY"));
    }

    @Test
    void flinkDeploymentDashboardTakesNoJarsAndShowsNoCancel() throws IOException {
        Map<String, String> configuration = new LinkedHashMap<>();
        map(map(k8s("FlinkDeployment", "dino-stream").get("spec")).get("flinkConfiguration"))
                .forEach((k, v) -> configuration.put(k, v.toString()));
        assertDashboardTakesNoJarsAndShowsNoCancel(configuration);
    }

    @Test
    void flinkDeploymentPointsAtTheKafkaTopicsMinioAndBucketDefinedBeside() throws IOException {
        Map<String, Object> spec = map(k8s("FlinkDeployment", "dino-stream").get("spec"));
        JobConfig config = JobConfig.fromArgs(strings(map(spec.get("job")).get("args")));

        Map<String, Object> kafka = k8s("Kafka", "dino-kafka");
        Map<String, Object> listener = maps(map(map(kafka.get("spec")).get("kafka")).get("listeners")).get(0);
        assertEquals("dino-kafka-kafka-bootstrap:" + listener.get("port"), config.kafka().bootstrapServers(),
                "Strimzi's bootstrap service for the plain listener");
        assertEquals(false, listener.get("tls"));
        Object maxMessage = map(map(map(kafka.get("spec")).get("kafka")).get("config")).get("message.max.bytes");
        assertTrue(((Number) maxMessage).longValue() >= config.ingest().decodeLimits().maxBytes());
        for (String topic : jobTopics(config)) {
            Map<String, Object> kafkaTopic = k8s("KafkaTopic", topic);
            assertEquals("dino-kafka", map(map(kafkaTopic.get("metadata")).get("labels")).get("strimzi.io/cluster"));
            Object topicMax = map(map(kafkaTopic.get("spec")).get("config")).get("max.message.bytes");
            assertTrue(((Number) topicMax).longValue() >= config.ingest().decodeLimits().maxBytes(), topic);
        }
        for (Map<String, Object> object : k8sObjects()) {
            if (object.get("kind").equals("KafkaNodePool")) {
                assertEquals("dino-kafka", map(map(object.get("metadata")).get("labels")).get("strimzi.io/cluster"));
            }
        }

        URI endpoint = URI.create(config.publish().s3().endpoint());
        Map<String, Object> minio = k8s("Service", endpoint.getHost());
        assertTrue(maps(map(minio.get("spec")).get("ports")).stream().anyMatch(p -> p.get("port").equals(endpoint.getPort())));
        assertEquals(config.publish().s3().endpoint(), map(spec.get("flinkConfiguration")).get("s3.endpoint"),
                "the job's S3 client and Flink's S3 plugin use the same store");

        String bucket = URI.create(config.publish().uri()).getHost();
        String createBucket = strings(container(k8s("Job", "minio-create-bucket")).get("args")).get(0);
        assertEquals(Set.of(bucket), matches(createBucket, Pattern.compile("mc mb --ignore-existing \\w+/([a-z0-9.-]+)")));
        List<String> flinkPaths = map(spec.get("flinkConfiguration")).values().stream().map(Object::toString)
                .filter(v -> v.startsWith("s3://")).toList();
        assertFalse(flinkPaths.isEmpty());
        for (String path : flinkPaths) {
            assertEquals(bucket, URI.create(path).getHost(), "Flink writes into the bucket that exists: " + path);
        }
    }

    @Test
    void flinkDeploymentPassesTheOperatorsValidation() throws IOException {
        Map<String, Object> deployment = k8s("FlinkDeployment", "dino-stream");
        assertEquals(Optional.empty(), OperatorValidation.validateDeployment(deployment));
        assertTrue(flinkDeploymentConfiguration().keySet().stream().noneMatch(k -> k.startsWith("job.autoscaler.")),
                "the autoscaler's own validator is not re-implemented");
    }

    @Test
    void operatorRefusesSavepointUpgradesWithoutTheClustersCheckpointDirectory() throws IOException {
        Map<String, Object> deployment = k8s("FlinkDeployment", "dino-stream");
        map(map(deployment.get("spec")).get("flinkConfiguration")).remove(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key());
        assertEquals(Optional.of("Checkpoint directory[execution.checkpointing.dir] must be defined for last-state and"
                + " savepoint upgrade modes"), OperatorValidation.validateDeployment(deployment));
    }

    @Test
    void operatorRefusesPeriodicSavepointsWithoutASavepointDirectory() throws IOException {
        Map<String, Object> deployment = k8s("FlinkDeployment", "dino-stream");
        map(map(deployment.get("spec")).get("job")).put("upgradeMode", "last-state");
        map(map(deployment.get("spec")).get("flinkConfiguration")).remove(CheckpointingOptions.SAVEPOINT_DIRECTORY.key());
        assertEquals(Optional.of("Periodic savepoints cannot be enabled when config key"
                + "[execution.checkpointing.savepoint-dir] is not set"), OperatorValidation.validateDeployment(deployment));
    }

    @Test
    void operatorRefusesFieldsItsCrdDoesNotKnow() throws IOException {
        Map<String, Object> deployment = k8s("FlinkDeployment", "dino-stream");
        map(map(map(deployment.get("spec")).get("taskManager")).get("resource")).put("ephemeral-storage", "4Gi");
        assertEquals(Optional.of("fields the CRD does not know: [spec.taskManager.resource.ephemeral-storage]"),
                OperatorValidation.validateDeployment(deployment));
    }

    @Test
    void flinkDeploymentJobUsesTheClustersCheckpointSavepointAndHaDirectories() throws IOException {
        Map<String, Object> spec = map(k8s("FlinkDeployment", "dino-stream").get("spec"));
        JobConfig config = JobConfig.fromArgs(strings(map(spec.get("job")).get("args")));
        // An own --flink.checkpoint-dir would let the job and the operator's upgrades disagree.
        assertEquals("", config.flink().checkpointDir(), "the job takes execution.checkpointing.dir");
        Map<String, String> configuration = flinkDeploymentConfiguration();
        for (ConfigOption<?> directory : List.of(CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                CheckpointingOptions.SAVEPOINT_DIRECTORY, HighAvailabilityOptions.HA_STORAGE_PATH)) {
            assertTrue(configuration.getOrDefault(directory.key(), "").startsWith("s3://"), directory.key());
        }
        assertEquals(3, configuration.values().stream().filter(v -> v.startsWith("s3://")).distinct().count(),
                "checkpoints, savepoints and HA metadata each in a directory of their own");
    }

    @Test
    void flinkDeploymentTakesPeriodicSavepointsLessOftenThanCheckpoints() throws IOException {
        Map<String, Object> spec = map(k8s("FlinkDeployment", "dino-stream").get("spec"));
        String interval = flinkDeploymentConfiguration().get(OperatorValidation.PERIODIC_SAVEPOINT_INTERVAL.key());
        assertNotNull(interval, OperatorValidation.PERIODIC_SAVEPOINT_INTERVAL.key());
        assertTrue(OperatorValidation.isDuration(interval), "the operator reads it as a duration: " + interval);
        Duration every = ConfigurationUtils.convertValue(interval, Duration.class);
        long checkpointMs = JobConfig.fromArgs(strings(map(spec.get("job")).get("args"))).flink().checkpointIntervalMillis();
        assertTrue(every.toMillis() > checkpointMs, "savepoints every " + every + ", checkpoints every " + checkpointMs + " ms");
    }

    @Test
    void flinkDeploymentReportsMetricsToPrometheusOnTheAnnotatedPort() throws IOException {
        Map<String, String> configuration = flinkDeploymentConfiguration();
        assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                configuration.get("metrics.reporter.prom.factory.class"));
        String port = configuration.get("metrics.reporter.prom.port");
        assertTrue(port.matches("\\d+"), "one port per pod, as the annotation names one: " + port);
        Map<String, Object> podTemplate = map(map(k8s("FlinkDeployment", "dino-stream").get("spec")).get("podTemplate"));
        Map<String, Object> annotations = map(map(podTemplate.get("metadata")).get("annotations"));
        assertEquals("true", annotations.get("prometheus.io/scrape"), "the JobManager's and TaskManagers' pods");
        assertEquals(port, annotations.get("prometheus.io/port"));
    }

    @Test
    void flinkDeploymentLogsToTheConsoleAndToABoundedFileTheDashboardShows(@TempDir Path logs) throws IOException {
        Map<String, Object> spec = map(k8s("FlinkDeployment", "dino-stream").get("spec"));
        PropertiesConfiguration log4j = log4jConfiguration(spec, logs);
        try {
            Map<String, Appender> appenders = log4j.getRootLogger().getAppenders();
            assertTrue(appenders.values().stream().anyMatch(a -> a instanceof ConsoleAppender), "kubectl logs: " + appenders);
            assertTrue(appenders.values().stream().anyMatch(a -> a instanceof RollingFileAppender),
                    "the dashboard's log view reads log.file: " + appenders);
            assertEquals(Level.INFO, log4j.getRootLogger().getLevel());
            assertTrue(rolledLogBytes(log4j) <= 512L << 20, "logs on disk: " + rolledLogBytes(log4j));
        } finally {
            log4j.stop();
        }
    }

    @Test
    void taskManagerUnpacksLibtorchOntoASizedVolumeWithinItsEphemeralStorage(@TempDir Path logs) throws IOException {
        Map<String, Object> spec = map(k8s("FlinkDeployment", "dino-stream").get("spec"));
        Map<String, Object> taskManager = map(spec.get("taskManager"));
        Map<String, Object> podSpec = map(map(taskManager.get("podTemplate")).get("spec"));
        Map<String, Object> main = maps(podSpec.get("containers")).get(0);
        assertEquals("flink-main-container", main.get("name"), "first, as in the top-level pod template");

        String djlCache = single(runtimeStage(), Pattern.compile("^ENV DJL_CACHE_DIR=(\\S+)$"));
        Map<String, Object> mount = maps(main.get("volumeMounts")).stream()
                .filter(m -> m.get("mountPath").equals(djlCache)).findFirst()
                .orElseThrow(() -> new AssertionError("a volume at the image's DJL_CACHE_DIR " + djlCache));
        Map<String, Object> volume = maps(podSpec.get("volumes")).stream()
                .filter(v -> v.get("name").equals(mount.get("name"))).findFirst().orElseThrow();
        long cacheLimit = quantity(map(volume.get("emptyDir")).get("sizeLimit"));
        long libtorch = libtorchUnpackedBytes();
        assertTrue(libtorch > 100L << 20 && cacheLimit >= 2 * libtorch,
                "the DJL cache (" + cacheLimit + " bytes) holds libtorch (" + libtorch + " bytes) with room to unpack");

        long ephemeral = quantity(map(taskManager.get("resource")).get("ephemeralStorage"));
        PropertiesConfiguration log4j = log4jConfiguration(spec, logs);
        long logBytes = rolledLogBytes(log4j);
        log4j.stop();
        long flinkTemporaryFiles = 1L << 30;
        assertTrue(ephemeral >= cacheLimit + logBytes + flinkTemporaryFiles, "ephemeral storage " + ephemeral
                + " holds the DJL cache " + cacheLimit + ", the logs " + logBytes + " and 1 GiB of Flink's own");
    }

    @Test
    void readmeShowsHowToReachTheFlinkDeploymentsDashboardWhichStaysInternal() throws IOException {
        Map<String, String> configuration = flinkDeploymentConfiguration();
        assertEquals("ClusterIP", configuration.getOrDefault("kubernetes.rest-service.exposed.type", "ClusterIP"),
                "the REST API has no login: not on a node port or load balancer");
        String port = configuration.getOrDefault(RestOptions.PORT.key(), RestOptions.PORT.defaultValue().toString());
        String forward = "kubectl port-forward svc/dino-stream-rest " + port;
        String readme = Files.readString(root.resolve("README.md"));
        assertTrue(readme.contains(forward), "README shows: " + forward);
        assertTrue(Files.readString(root.resolve("k8s/dino-stream.yaml")).contains(forward), "k8s/dino-stream.yaml shows: " + forward);
    }

    @Test
    void everySecretReferenceNamesASecretKeyDefinedInK8s() throws IOException {
        Map<String, Set<String>> secrets = new HashMap<>();
        List<Map<String, Object>> references = new ArrayList<>();
        for (Map<String, Object> object : k8sObjects()) {
            if (object.get("kind").equals("Secret")) {
                Set<String> keys = new TreeSet<>();
                keys.addAll(map(object.getOrDefault("stringData", Map.of())).keySet());
                keys.addAll(map(object.getOrDefault("data", Map.of())).keySet());
                secrets.put(map(object.get("metadata")).get("name").toString(), keys);
            }
            collect(object, "secretKeyRef", references);
        }
        assertFalse(references.isEmpty());
        for (Map<String, Object> reference : references) {
            Set<String> keys = secrets.get(reference.get("name").toString());
            assertNotNull(keys, "no Secret named " + reference.get("name"));
            assertTrue(keys.contains(reference.get("key").toString()), "Secret " + reference.get("name")
                    + " has no key " + reference.get("key"));
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    /** Nobody uploads and runs a jar through the dashboard, nor finds a cancel button there. */
    private static void assertDashboardTakesNoJarsAndShowsNoCancel(Map<String, String> properties) {
        assertEquals("false", properties.get(WebOptions.SUBMIT_ENABLE.key()), "jar upload and submission: " + properties);
        assertEquals("false", properties.get(WebOptions.CANCEL_ENABLE.key()), "cancel from the dashboard: " + properties);
    }

    /** The Flink configuration lines of a compose service's FLINK_PROPERTIES. */
    private static Map<String, String> flinkProperties(Map<String, Object> environment) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (String line : environment.get("FLINK_PROPERTIES").toString().split("\n")) {
            if (!line.isBlank()) {
                String[] kv = line.split(":", 2);
                properties.put(kv[0].trim(), kv[1].trim());
            }
        }
        return properties;
    }

    /**
     * Every key is a current option of Flink's configuration (not a deprecated name) and its value
     * parses as that option's type; s3.* keys belong to Flink's S3 plugins, which are not on this
     * classpath; kubernetes.operator.* keys are the operator's, and metrics.reporter.NAME.* keys
     * are a reporter's. DJL runs offline, and has no parent-first pattern: the image puts it in
     * lib/ and the job jar holds none (ClusterJarIT), so the job's class loader, which asks lib/
     * for what its jar lacks, loads it from there anyway.
     */
    private static void assertFlinkConfiguration(Map<String, String> properties) throws IOException {
        Configuration configuration = Configuration.fromMap(properties);
        for (String key : properties.keySet()) {
            if (key.startsWith("s3.")) {
                continue;
            }
            if (key.startsWith("kubernetes.operator.")) {
                assertEquals(OperatorValidation.PERIODIC_SAVEPOINT_INTERVAL.key(), key, "an operator option this test knows");
                continue;
            }
            Matcher resource = Pattern.compile("external-resource\\.([^.]+)\\..+").matcher(key);
            if (resource.matches()) {
                // ExternalResourceOptions' per-resource keys, for a resource that external-resources lists
                // (or that a TaskManager's external-resources: none turns off)
                String name = resource.group(1);
                List<String> listed = configuration.get(ExternalResourceOptions.EXTERNAL_RESOURCE_LIST);
                assertTrue(listed.contains(name) || listed.equals(List.of(ExternalResourceOptions.NONE)),
                        "external-resources lists " + name + ": " + key);
                Set<String> resourceKeys = Set.of(ExternalResourceOptions.getAmountConfigOptionForResource(name),
                        ExternalResourceOptions.getExternalResourceDriverFactoryConfigOptionForResource(name),
                        ExternalResourceOptions.getSystemConfigKeyConfigOptionForResource(name, "kubernetes.config-key"));
                assertTrue(resourceKeys.contains(key)
                        || key.startsWith(ExternalResourceOptions.getExternalResourceParamConfigPrefixForResource(name)),
                        "not an external resource option: " + key);
                if (key.equals(ExternalResourceOptions.getAmountConfigOptionForResource(name))) {
                    assertTrue(Long.parseLong(properties.get(key)) > 0, key);
                }
                continue;
            }
            Matcher reporter = Pattern.compile("metrics\\.reporter\\.[^.]+\\.(.+)").matcher(key);
            if (reporter.matches()) {
                // MetricOptions' per-reporter options, and the Prometheus reporter's own (PrometheusReporterFactory.ARG_PORT)
                Set<String> reporterOptions = Set.of(MetricOptions.REPORTER_FACTORY_CLASS.key(),
                        MetricOptions.REPORTER_INTERVAL.key(), MetricOptions.REPORTER_SCOPE_DELIMITER.key(),
                        MetricOptions.REPORTER_EXCLUDED_VARIABLES.key(), MetricOptions.REPORTER_INCLUDES.key(),
                        MetricOptions.REPORTER_EXCLUDES.key(), "port");
                assertTrue(reporterOptions.contains(reporter.group(1)), "not a reporter option: " + key);
                continue;
            }
            ConfigOption<?> option = flinkOptions.get(key);
            assertNotNull(option, "not a Flink option: " + key);
            assertFalse(deprecatedFlinkKeys.contains(key), "deprecated Flink option: " + key);
            assertDoesNotThrow(() -> configuration.get(option), key + ": " + properties.get(key));
        }
        assertTrue(runtimeStage().stream().anyMatch(l -> l.startsWith("COPY ") && l.endsWith(" " + LIB_IN_IMAGE)),
                "the image puts DJL in lib/");
        assertFalse(properties.getOrDefault(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL.key(), "")
                .contains("ai.djl."), "a parent-first pattern for DJL, which only lib/ has, would change nothing");
        assertTrue(properties.getOrDefault(CoreOptions.FLINK_JVM_OPTIONS.key(), "").contains("-Dai.djl.offline=true"),
                "DJL offline");
    }

    /** Every ConfigOption declared in flink-core's org.apache.flink.configuration *Options classes. */
    private static void loadFlinkOptions() throws Exception {
        flinkOptions = new HashMap<>();
        deprecatedFlinkKeys = new TreeSet<>();
        Path jar = Path.of(CoreOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry entry : Collections.list(file.entries())) {
                String name = entry.getName();
                if (!name.startsWith("org/apache/flink/configuration/") || !name.endsWith("Options.class")
                        || name.contains("$")) {
                    continue;
                }
                Class<?> type = Class.forName(name.substring(0, name.length() - 6).replace('/', '.'));
                for (Field field : type.getFields()) {
                    if (Modifier.isStatic(field.getModifiers()) && field.getType() == ConfigOption.class) {
                        ConfigOption<?> option = (ConfigOption<?>) field.get(null);
                        if (field.isAnnotationPresent(Deprecated.class)) {
                            deprecatedFlinkKeys.add(option.key());
                        } else {
                            flinkOptions.put(option.key(), option);
                        }
                        option.fallbackKeys().forEach(k -> {
                            if (k.isDeprecated()) {
                                deprecatedFlinkKeys.add(k.getKey());
                            }
                        });
                    }
                }
            }
        }
        deprecatedFlinkKeys.removeAll(flinkOptions.keySet());
        assertTrue(flinkOptions.size() > 100, "Flink's options found: " + flinkOptions.size());
    }

    /** docker/Dockerfile's lines from the last FROM on. */
    private static List<String> runtimeStage() throws IOException {
        List<String> lines = Files.readAllLines(root.resolve("docker/Dockerfile"));
        int from = 0;
        for (int i = 0; i < lines.size(); i++) {
            from = lines.get(i).startsWith("FROM ") ? i : from;
        }
        return lines.subList(from, lines.size());
    }

    private static Map<String, String> flinkDeploymentConfiguration() throws IOException {
        return OperatorValidation.flinkConfiguration(map(k8s("FlinkDeployment", "dino-stream").get("spec")));
    }

    /**
     * The FlinkDeployment's log4j-console.properties as Log4j reads it, with log.file (which Flink
     * sets for each process) in the given directory. Stop it after use.
     */
    private static PropertiesConfiguration log4jConfiguration(Map<String, Object> spec, Path logDir) throws IOException {
        String text = map(spec.get("logConfiguration")).get("log4j-console.properties").toString();
        Properties properties = new Properties();
        properties.load(new StringReader(text.replace("${sys:log.file}", logDir.resolve("flink.log").toString())));
        PropertiesConfiguration configuration = new PropertiesConfigurationBuilder()
                .setConfigurationSource(ConfigurationSource.NULL_SOURCE).setRootProperties(properties).build();
        configuration.initialize();
        return configuration;
    }

    /** The most bytes the rolling file appenders keep: each file's size limit times the files kept. */
    private static long rolledLogBytes(PropertiesConfiguration log4j) {
        long bytes = 0;
        for (Appender appender : log4j.getAppenders().values()) {
            if (appender instanceof RollingFileAppender rolling) {
                long fileSize = Stream.of(((CompositeTriggeringPolicy) rolling.getTriggeringPolicy()).getTriggeringPolicies())
                        .filter(SizeBasedTriggeringPolicy.class::isInstance)
                        .mapToLong(policy -> ((SizeBasedTriggeringPolicy) policy).getMaxFileSize()).findFirst()
                        .orElseThrow(() -> new AssertionError(rolling.getName() + " rolls by size"));
                int kept = ((DefaultRolloverStrategy) rolling.getManager().getRolloverStrategy()).getMaxIndex();
                bytes += fileSize * (kept + 1);
            }
        }
        return bytes;
    }

    /** The bytes of a Kubernetes quantity. */
    private static long quantity(Object quantity) {
        return OperatorValidation.quantityBytes(String.valueOf(quantity))
                .orElseThrow(() -> new AssertionError("not a quantity: " + quantity)).longValue();
    }

    /** What DJL unpacks: the pytorch-native jar the image puts in lib/, whole (libtorch and its libraries). */
    private static long libtorchUnpackedBytes() throws IOException {
        long largest = 0;
        for (URL properties : Collections.list(DeploymentFilesTest.class.getClassLoader()
                .getResources("native/lib/pytorch.properties"))) {
            String jar = properties.getPath().substring("file:".length(), properties.getPath().indexOf("!/"));
            long bytes = 0;
            try (JarFile file = new JarFile(jar)) {
                for (JarEntry entry : Collections.list(file.entries())) {
                    bytes += Math.max(0, entry.getSize());
                }
            }
            largest = Math.max(largest, bytes);
        }
        return largest;
    }

    private static Map<String, Object> compose() throws IOException {
        return map(load(root.resolve("docker/compose.yaml")).get(0));
    }

    private static Map<String, Object> composeService(String name) throws IOException {
        Map<String, Object> service = map(map(compose().get("services")).get(name));
        assertNotNull(service, "compose service " + name);
        return service;
    }

    private static JobConfig composeJobConfig() throws IOException {
        List<String> command = strings(composeService("jobmanager").get("command"));
        return JobConfig.fromArgs(command.subList(3, command.size()));
    }

    private static List<Map<String, Object>> k8sObjects() throws IOException {
        List<Map<String, Object>> objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(root.resolve("k8s"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                load(file).forEach(document -> objects.add(map(document)));
            }
        }
        return objects;
    }

    private static Map<String, Object> k8s(String kind, String name) throws IOException {
        for (Map<String, Object> object : k8sObjects()) {
            if (object.get("kind").equals(kind) && map(object.get("metadata")).get("name").equals(name)) {
                return object;
            }
        }
        throw new AssertionError("no " + kind + " named " + name + " in k8s/");
    }

    private static List<Object> load(Path file) throws IOException {
        List<Object> documents = new ArrayList<>();
        new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file)).forEach(documents::add);
        assertFalse(documents.isEmpty(), file + " is empty");
        return documents;
    }

    private static Map<String, Object> container(Map<String, Object> workload) {
        Map<String, Object> podSpec = map(map(map(workload.get("spec")).get("template")).get("spec"));
        return maps(podSpec.get("containers")).get(0);
    }

    private static Map<String, String> containerEnv(Map<String, Object> flinkDeploymentSpec) {
        Map<String, Object> podSpec = map(map(flinkDeploymentSpec.get("podTemplate")).get("spec"));
        Map<String, Object> main = maps(podSpec.get("containers")).stream()
                .filter(c -> c.get("name").equals("flink-main-container")).findFirst()
                .orElseThrow(() -> new AssertionError("the operator merges env into flink-main-container only"));
        Map<String, String> env = new LinkedHashMap<>();
        maps(main.get("env")).forEach(e -> env.put(e.get("name").toString(), String.valueOf(e.get("value"))));
        return env;
    }

    private static void collect(Object node, String key, List<Map<String, Object>> found) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if (k.equals(key)) {
                    found.add(map(v));
                } else {
                    collect(v, key, found);
                }
            });
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collect(v, key, found));
        }
    }

    private static Set<String> jobTopics(JobConfig config) {
        Set<String> topics = new TreeSet<>(config.kafka().topics());
        topics.add(config.kafka().deadLetterTopic());
        return topics;
    }

    private static String host(String hostPort) {
        return hostPort.substring(0, hostPort.lastIndexOf(':'));
    }

    private static Set<String> matches(String text, Pattern pattern) {
        Set<String> found = new TreeSet<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    private static String single(List<String> lines, Pattern pattern) {
        List<String> hits = new ArrayList<>();
        for (String line : lines) {
            Matcher m = pattern.matcher(line);
            if (m.matches()) {
                hits.add(m.groupCount() > 0 ? m.group(1) : m.group());
            }
        }
        assertEquals(1, hits.size(), "lines matching " + pattern + ": " + hits);
        return hits.get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node) {
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> maps(Object node) {
        return (List<Map<String, Object>>) node;
    }

    private static List<String> strings(Object node) {
        return ((List<?>) node).stream().map(Object::toString).toList();
    }
}
