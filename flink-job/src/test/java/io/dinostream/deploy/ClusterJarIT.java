package io.dinostream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.dinostream.ArchitectureTest;
import io.dinostream.DinoStreamJob;
import io.dinostream.cli.DinoStreamMain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The jars `mvn package` builds, opened after it (failsafe, in `verify`): the cluster jar holds
 * the job and what a Flink cluster lacks, and nothing a Flink distribution has or the demo alone
 * needs; target/flink-lib holds DJL and libtorch for the cluster's lib/; the demo's jar still holds
 * everything.
 */
final class ClusterJarIT {

    private static Path target;
    private static Set<String> clusterJar;
    private static Set<String> flinkLib;

    @BeforeAll
    static void openTheBuiltJars() throws IOException {
        target = Path.of(System.getProperty("build.directory", "target"));
        clusterJar = entries(target.resolve("dino-stream-cluster.jar"));
        flinkLib = new TreeSet<>();
        for (Path jar : flinkLibJars()) {
            flinkLib.addAll(entries(jar));
        }
    }

    // --- the cluster jar ----------------------------------------------------------------------

    @Test
    void clusterJarStartsTheJob() throws IOException {
        assertTrue(clusterJar.contains(classFile(DinoStreamJob.class.getName())));
        assertEquals(DinoStreamJob.class.getName(), mainClass(target.resolve("dino-stream-cluster.jar")),
                "the entry class `flink run` takes without -c");
    }

    @Test
    void clusterJarHoldsNoFlinkButTheKafkaConnector() throws IOException {
        // The connector is released apart from Flink and is not in a Flink distribution's lib/.
        Set<String> connector = entries(Path.of(codeSource(KafkaSource.class)));
        assertTrue(clusterJar.containsAll(classesIn(connector)), "the Kafka connector");
        assertTrue(clusterJar.containsAll(classesIn(entries(Path.of(codeSource(KafkaConsumer.class))))), "the Kafka client");
        List<String> flink = clusterJar.stream()
                .filter(e -> e.startsWith("org/apache/flink/") && e.endsWith(".class") && !connector.contains(e))
                .toList();
        assertEquals(List.of(), flink, "Flink's own classes are the cluster's");
        assertFalse(clusterJar.stream().anyMatch(e -> e.startsWith("org/apache/flink/runtime/")));
    }

    @Test
    void clusterJarHoldsNoEmbeddedServers() throws IOException {
        // The broker is kafka_2.13 (Scala, kafka/) and kafka-server, -metadata, -raft, -storage... under
        // org/apache/kafka/ like the client: what is there comes from kafka-clients alone.
        Set<String> client = entries(Path.of(codeSource(KafkaConsumer.class)));
        List<String> broker = clusterJar.stream()
                .filter(e -> e.startsWith("org/apache/kafka/") && e.endsWith(".class") && !client.contains(e)).toList();
        assertEquals(List.of(), broker, "Kafka classes besides the client's");
        for (String server : List.of("kafka/", "scala/", "org/gaul/s3proxy/", "org/jclouds/", "org/eclipse/jetty/")) {
            assertFalse(clusterJar.stream().anyMatch(e -> e.startsWith(server) && e.endsWith(".class")),
                    "the demo's embedded servers: " + server);
        }
    }

    @Test
    void clusterJarHoldsNoDjlNorLibtorch() {
        assertFalse(clusterJar.stream().anyMatch(e -> e.startsWith("ai/djl/")), "DJL is in the cluster's lib/");
        // pytorch-native-cpu's pytorch/ and native/lib/, pytorch-jni's jnilib/
        List<String> torch = clusterJar.stream().filter(e -> e.startsWith("pytorch/") || e.startsWith("native/lib/")
                || e.startsWith("jnilib/") || e.matches(".*torch.*\\.(so|dll|dylib)")).toList();
        assertEquals(List.of(), torch, "libtorch and DJL's JNI library are in the cluster's lib/");
    }

    @Test
    void clusterJarHoldsTheJobsFloorsAndNoneAbove() {
        // ArchitectureTest: the job imports nothing from a higher floor, so it runs without them.
        List<List<String>> floors = ArchitectureTest.FLOORS;
        int jobFloor = floors.indexOf(floors.stream().filter(f -> f.contains("")).findFirst().orElseThrow());
        for (int floor = 0; floor < floors.size(); floor++) {
            for (String name : floors.get(floor)) {
                String dir = name.isEmpty() ? "io/dinostream/" : "io/dinostream/" + name + "/";
                boolean packed = clusterJar.stream()
                        .anyMatch(e -> e.startsWith(dir) && e.endsWith(".class") && e.indexOf('/', dir.length()) < 0);
                assertEquals(floor <= jobFloor, packed, "io.dinostream package " + (name.isEmpty() ? "(root)" : name));
            }
        }
    }

    @Test
    void everyClassTheJobUsesIsInTheJarInFlinkLibOrFlinks() throws IOException {
        List<String> missing = new ArrayList<>();
        try (JarFile jar = new JarFile(target.resolve("dino-stream-cluster.jar").toFile())) {
            for (JavaClass type : new ClassFileImporter()
                    .withImportOption(location -> location.contains("!/io/dinostream/"))
                    .importJar(jar)) {
                for (Dependency dependency : type.getDirectDependenciesFromSelf()) {
                    JavaClass used = dependency.getTargetClass().getBaseComponentType();
                    String name = used.getName();
                    if (used.isPrimitive() || name.startsWith("java.") || name.startsWith("javax.")
                            || clusterJar.contains(classFile(name)) || flinkLib.contains(classFile(name))
                            || isFlinkDistributions(name)) {
                        continue;
                    }
                    missing.add(type.getName() + " -> " + name);
                }
            }
        }
        assertEquals(List.of(), missing.stream().distinct().toList(), "classes the cluster would not have");
    }

    // --- flink-lib ----------------------------------------------------------------------------

    @Test
    void flinkLibHoldsDjlLibtorchAndWhatTheyNeedBesidesFlink() {
        for (String entry : List.of("ai/djl/engine/Engine.class", "ai/djl/pytorch/engine/PtEngine.class",
                "jnilib/linux-x86_64/cpu/libdjl_torch.so", "pytorch/cpu/linux-x86_64/libtorch_cpu.so",
                "native/lib/pytorch.properties", "com/google/gson/Gson.class", "com/sun/jna/Native.class")) {
            assertTrue(flinkLib.contains(entry), "target/flink-lib has " + entry);
        }
        // A Flink distribution's lib/ has these already; a second copy there would replace Flink's.
        for (String flinks : List.of("org/apache/flink/", "org/slf4j/", "org/apache/commons/", "org/apache/logging/")) {
            assertFalse(flinkLib.stream().anyMatch(e -> e.startsWith(flinks)), "not in target/flink-lib: " + flinks);
        }
    }

    // --- the demo's jar -----------------------------------------------------------------------

    @Test
    void demoJarStillHoldsEverything() throws IOException {
        Path demo = target.resolve("dino-stream-job.jar");
        assertEquals(DinoStreamMain.class.getName(), mainClass(demo));
        Set<String> entries = entries(demo);
        for (String entry : List.of("io/dinostream/local/Demo.class", "io/dinostream/cli/DinoStreamMain.class",
                "org/apache/flink/runtime/minicluster/MiniCluster.class", "kafka/server/KafkaRaftServer.class",
                "org/gaul/s3proxy/S3Proxy.class", "ai/djl/pytorch/engine/PtEngine.class",
                "pytorch/cpu/linux-x86_64/libtorch_cpu.so")) {
            assertTrue(entries.contains(entry), "dino-stream-job.jar has " + entry);
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    /** What a Flink distribution's lib/ provides to every job: Flink (flink-dist) and SLF4J. */
    private static boolean isFlinkDistributions(String className) {
        return className.startsWith("org.apache.flink.") || className.startsWith("org.slf4j.");
    }

    private static List<Path> flinkLibJars() throws IOException {
        Path dir = target.resolve("flink-lib");
        assertTrue(Files.isDirectory(dir), dir + " (mvn package makes it)");
        try (Stream<Path> jars = Files.list(dir)) {
            List<Path> found = jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
            assertFalse(found.isEmpty(), "jars in " + dir);
            return found;
        }
    }

    private static Set<String> entries(Path jar) throws IOException {
        assertTrue(Files.isRegularFile(jar), jar + " (mvn package makes it)");
        try (JarFile file = new JarFile(jar.toFile())) {
            Set<String> names = new TreeSet<>();
            for (JarEntry entry : Collections.list(file.entries())) {
                names.add(entry.getName());
            }
            return names;
        }
    }

    private static Set<String> classesIn(Set<String> entries) {
        Set<String> classes = new TreeSet<>();
        entries.stream().filter(e -> e.endsWith(".class") && !e.endsWith("module-info.class")).forEach(classes::add);
        assertFalse(classes.isEmpty());
        return classes;
    }

    private static String mainClass(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            assertNotNull(file.getManifest(), jar + " has a manifest");
            return file.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
        }
    }

    private static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private static String classFile(String className) {
        return className.replace('.', '/') + ".class";
    }
}
