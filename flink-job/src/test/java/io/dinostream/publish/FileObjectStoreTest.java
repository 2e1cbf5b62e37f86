package io.dinostream.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@link ObjectStore} contract on local files, plus what is specific to files. */
final class FileObjectStoreTest extends ObjectStoreContract {

    @TempDir Path dir;

    @Override
    ObjectStore openEmptyStore() throws Exception {
        return new FileObjectStore(dir.resolve("checkpoints"));
    }

    @Test
    void objectsArePlainFilesAndNoTempFilesRemain() throws Exception {
        byte[] data = randomBytes(1000, 3);
        store().put("step-000000000012/manifest.json", data, "application/json");
        Path file = dir.resolve("checkpoints/step-000000000012/manifest.json");
        assertArrayEquals(data, Files.readAllBytes(file));
        try (Stream<Path> files = Files.walk(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-")));
        }
    }

    @Test
    void locationIsAFileUriOfTheBase() {
        assertEquals(dir.resolve("checkpoints").toUri().toString().replaceAll("/$", ""), store().location());
    }

    @Test
    void listSkipsInFlightTempFiles() throws Exception {
        store().put("a/x.json", new byte[] {1}, "application/json");
        Files.write(dir.resolve("checkpoints/a/.tmp-1234-y.json"), new byte[] {2});
        assertEquals(List.of("a/x.json"), store().list(""));
    }

    @Test
    void concurrentWritersAndReadersNeverSeePartialObjects() throws Exception {
        byte[] first = randomBytes(256 * 1024, 4);
        byte[] second = randomBytes(256 * 1024, 5);
        store().put("latest.bin", first, null);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<?> writer =
                    pool.submit(
                            () -> {
                                for (int i = 0; i < 30; i++) {
                                    store().put("latest.bin", i % 2 == 0 ? second : first, null);
                                }
                                return null;
                            });
            Future<?> reader =
                    pool.submit(
                            () -> {
                                while (!writer.isDone()) {
                                    byte[] seen = store().get("latest.bin").orElseThrow();
                                    assertTrue(
                                            java.util.Arrays.equals(seen, first)
                                                    || java.util.Arrays.equals(seen, second),
                                            "reader saw a partial object");
                                    assertEquals(List.of("latest.bin"), store().list(""));
                                }
                                return null;
                            });
            writer.get();
            reader.get();
        } finally {
            pool.shutdownNow();
        }
    }
}
