package io.dinostream.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ObjectStore} must do, run against each implementation by a subclass that
 * says how to open a fresh, empty store.
 */
abstract class ObjectStoreContract {

    private ObjectStore store;

    /** A new store over an empty base. */
    abstract ObjectStore openEmptyStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = openEmptyStore();
    }

    @AfterEach
    void closeStore() throws Exception {
        store.close();
    }

    ObjectStore store() {
        return store;
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    @Test
    void roundTripsBinaryData() throws Exception {
        byte[] data = randomBytes(4096, 1);
        store.put("blob.bin", data, "application/octet-stream");
        assertArrayEquals(data, store.get("blob.bin").orElseThrow());
    }

    @Test
    void roundTripsEmptyObject() throws Exception {
        store.put("empty", new byte[0], "application/octet-stream");
        assertArrayEquals(new byte[0], store.get("empty").orElseThrow());
        assertEquals(List.of("empty"), store.list(""));
    }

    @Test
    void roundTripsFiveMegabytes() throws Exception {
        byte[] data = randomBytes(5 * 1024 * 1024 + 17, 2);
        store.put("step-000000000001/teacher.safetensors", data, "application/octet-stream");
        assertArrayEquals(data, store.get("step-000000000001/teacher.safetensors").orElseThrow());
    }

    @Test
    void overwriteReplacesTheObject() throws Exception {
        store.put("latest.json", "{\"step\":1}".getBytes(StandardCharsets.UTF_8), "application/json");
        store.put("latest.json", "{\"step\":2}".getBytes(StandardCharsets.UTF_8), "application/json");
        assertEquals(
                "{\"step\":2}", new String(store.get("latest.json").orElseThrow(), StandardCharsets.UTF_8));
        assertEquals(List.of("latest.json"), store.list(""));
    }

    @Test
    void missingKeyIsEmpty() throws Exception {
        assertTrue(store.get("nope/never.json").isEmpty());
        store.put("a/b", new byte[] {1}, null);
        assertTrue(store.get("a").isEmpty(), "a folder-like prefix is not an object");
        assertTrue(store.get("a/b/c").isEmpty());
    }

    @Test
    void listsByPrefixSortedAndRelative() throws Exception {
        for (String key :
                List.of(
                        "step-000000000012/manifest.json",
                        "step-000000000002/teacher.safetensors",
                        "step-000000000002/manifest.json",
                        "latest.json",
                        "step-000000000012/teacher.safetensors",
                        "deep/a/b/c/d.txt")) {
            store.put(key, key.getBytes(StandardCharsets.UTF_8), "text/plain");
        }
        assertEquals(
                List.of(
                        "deep/a/b/c/d.txt",
                        "latest.json",
                        "step-000000000002/manifest.json",
                        "step-000000000002/teacher.safetensors",
                        "step-000000000012/manifest.json",
                        "step-000000000012/teacher.safetensors"),
                store.list(""));
        assertEquals(
                List.of("step-000000000002/manifest.json", "step-000000000002/teacher.safetensors"),
                store.list("step-000000000002/"));
        assertEquals(
                List.of(
                        "step-000000000002/manifest.json",
                        "step-000000000002/teacher.safetensors",
                        "step-000000000012/manifest.json",
                        "step-000000000012/teacher.safetensors"),
                store.list("step-"));
        assertEquals(List.of("step-000000000012/manifest.json"), store.list("step-000000000012/man"));
        assertEquals(List.of("deep/a/b/c/d.txt"), store.list("deep/a/b"));
        assertEquals(List.of(), store.list("nothing-here/"));
        assertEquals(List.of(), store.list("step-000000000099"));
    }

    @Test
    void nestedKeysRoundTrip() throws Exception {
        store.put("a/b/c/d/e.json", "deep".getBytes(StandardCharsets.UTF_8), "application/json");
        store.put("a/b/sibling.json", "near".getBytes(StandardCharsets.UTF_8), "application/json");
        assertEquals("deep", new String(store.get("a/b/c/d/e.json").orElseThrow(), StandardCharsets.UTF_8));
        assertEquals(List.of("a/b/c/d/e.json", "a/b/sibling.json"), store.list("a/"));
    }

    @Test
    void rejectsKeysThatEscapeOrAreMalformed() {
        for (String bad : new String[] {"", "/abs", "../up", "a/../../up", "a//b", "dir/", "a\\b", "./x"}) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class, () -> store.put(bad, new byte[1], null), bad);
            assertTrue(e.getMessage().contains("key"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> store.list("../"));
    }

    @Test
    void locationCarriesNoSecrets() {
        String location = store.location();
        assertTrue(location.startsWith("file:///") || location.startsWith("s3://"), location);
        assertFalse(location.contains("secret"), location);
        assertFalse(location.endsWith("/"), location);
    }
}
