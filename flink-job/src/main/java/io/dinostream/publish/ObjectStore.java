package io.dinostream.publish;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where checkpoints go: a flat key space under a base location (a local folder or an S3 bucket
 * and prefix), so the publisher writes the same way whether it runs on a laptop or a cluster.
 * Implementations are thread-safe.
 *
 * <p>Keys are relative to the store's base and '/'-separated, e.g. {@code
 * "step-000000000012/manifest.json"}; they must not be empty, start or end with '/', contain empty,
 * "." or ".." segments, backslashes or control characters.
 */
public interface ObjectStore extends AutoCloseable {

    /**
     * Writes (or overwrites) key with data. Keys are relative to the store's base, '/'-separated,
     * e.g. "step-000000000012/manifest.json".
     */
    void put(String key, byte[] data, String contentType) throws IOException;

    /** The object's bytes, or empty if it does not exist. */
    Optional<byte[]> get(String key) throws IOException;

    /** Keys (relative) that start with prefix, sorted. An empty prefix lists every key. */
    List<String> list(String prefix) throws IOException;

    /**
     * The base location as a URI string for logs/manifests, never with credentials, e.g.
     * "s3://bucket/prefix" or "file:///tmp/x".
     */
    String location();

    @Override
    void close() throws IOException;
}
