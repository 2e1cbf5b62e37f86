package io.dinostream.ingest;

import java.io.Serializable;

/**
 * Bounds on what {@link ImageDecoder} accepts, so that one hostile or broken record cannot exhaust
 * the task's memory (a 40 MB JPEG, a 100000 × 100000 PNG "decompression bomb") and images too small
 * to crop are rejected up front rather than failing deep inside augmentation.
 *
 * <p>Serializable, because Flink functions that hold it are shipped to task managers.
 *
 * @param maxBytes largest encoded record, in bytes ({@code ingest.max-bytes}, default 20 MiB)
 * @param maxSide largest width or height, in pixels ({@code ingest.max-side}, default 8192)
 * @param minSide smallest width or height, in pixels ({@code ingest.min-side}, default 8)
 */
public record DecodeLimits(int maxBytes, int maxSide, int minSide) implements Serializable {

    /** Configuration key of {@link #maxBytes()}, quoted in rejection messages. */
    public static final String MAX_BYTES_KEY = "ingest.max-bytes";
    /** Configuration key of {@link #maxSide()}, quoted in rejection messages. */
    public static final String MAX_SIDE_KEY = "ingest.max-side";
    /** Configuration key of {@link #minSide()}, quoted in rejection messages. */
    public static final String MIN_SIDE_KEY = "ingest.min-side";

    public static final int DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
    public static final int DEFAULT_MAX_SIDE = 8192;
    public static final int DEFAULT_MIN_SIDE = 8;

    /**
     * Largest accepted {@link #maxSide()}: one 46340 × 46340 RGB image already fills a Java array
     * (2^31 bytes).
     */
    public static final int MAX_SIDE_CEILING = 46340;

    public DecodeLimits {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException(
                    MAX_BYTES_KEY + " must be positive, got " + maxBytes);
        }
        if (minSide <= 0) {
            throw new IllegalArgumentException(MIN_SIDE_KEY + " must be positive, got " + minSide);
        }
        if (maxSide < minSide) {
            throw new IllegalArgumentException(
                    MAX_SIDE_KEY
                            + " ("
                            + maxSide
                            + ") must be at least "
                            + MIN_SIDE_KEY
                            + " ("
                            + minSide
                            + ")");
        }
        if (maxSide > MAX_SIDE_CEILING) {
            throw new IllegalArgumentException(
                    MAX_SIDE_KEY
                            + " is "
                            + maxSide
                            + ", over "
                            + MAX_SIDE_CEILING
                            + ": a square RGB image that large does not fit in one Java array");
        }
    }

    /** 20 MiB, 8192 px, 8 px. */
    public static DecodeLimits defaults() {
        return new DecodeLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_SIDE, DEFAULT_MIN_SIDE);
    }
}
