package io.dinostream.replay;

import io.dinostream.config.Option;
import io.dinostream.config.OptionValues;

import java.io.Serializable;
import java.util.List;

/**
 * The replay stage ({@code replay.*}): what share of the images that reach the trainer are replayed
 * from its buffer, how large the buffer may grow (images and bytes), and which images it keeps.
 *
 * @param fraction share of the images the trainer gets that are replays, in [0, 0.9]; 0 turns the
 *     stage into a pass-through that stores nothing
 * @param capacity most images kept
 * @param maxBytes most bytes of stored images kept (each image as {@link StoredImage} keeps it)
 * @param policy which images the buffer keeps
 */
public record ReplaySettings(double fraction, int capacity, long maxBytes, ReplayPolicy policy) implements Serializable {

    public static final Option<Double> FRACTION = Option.number("replay.fraction", "0.5",
            "share of the images the trainer gets that are replayed from the buffer (fresh views of stored"
                    + " images), 0 to 0.9; 0 turns replay off").between(0, 0.9);
    public static final Option<Integer> CAPACITY = Option.integer("replay.capacity", "10000",
            "most images the replay buffer keeps").positive();
    public static final Option<Long> MAX_BYTES = Option.wholeNumber("replay.max-bytes", "268435456",
            "most bytes the replay buffer keeps (images stored losslessly compressed): past them it keeps fewer"
                    + " images than --replay.capacity").positive();
    public static final Option<ReplayPolicy> POLICY = Option.parsedBy("replay.policy", "reservoir",
            "which images the buffer keeps: reservoir (a uniform sample of all seen) or minred (evicts the most"
                    + " redundant: the closest pair in a fixed 8x8 gray-pixel feature space)", ReplayPolicy::parse);

    /** The replay.* options, in help order. */
    public static final List<Option<?>> OPTIONS = List.of(FRACTION, CAPACITY, MAX_BYTES, POLICY);

    public ReplaySettings {
        FRACTION.require(fraction);
        CAPACITY.require(capacity);
        MAX_BYTES.require(maxBytes);
        if (policy == null) {
            throw new IllegalArgumentException("a replay policy is needed");
        }
    }

    /** The replay.* options' values. */
    public static ReplaySettings from(OptionValues values) {
        return new ReplaySettings(values.get(FRACTION), values.get(CAPACITY), values.get(MAX_BYTES), values.get(POLICY));
    }

    /** Replay off: every image passes through once, nothing is stored. */
    public static ReplaySettings off() {
        return new ReplaySettings(0, 1, 1, ReplayPolicy.RESERVOIR);
    }

    /** Whether the stage replays (and so stores) anything. */
    public boolean enabled() {
        return fraction > 0;
    }

    /** Replays per new image, on average: fraction / (1 - fraction). */
    public double replaysPerImage() {
        return fraction / (1 - fraction);
    }
}
