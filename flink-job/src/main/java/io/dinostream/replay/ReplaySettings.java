package io.dinostream.replay;

import io.dinostream.config.Option;
import io.dinostream.config.OptionValues;

import java.io.Serializable;
import java.util.List;

/**
 * The replay stage ({@code replay.*}): what share of the images that reach the trainer are replayed
 * from its buffer, how large the buffer may grow (images and bytes), and which images it keeps.
 *
 * @param fraction share of the images the trainer gets that are replays, in [0, 0.99]; 0 turns the
 *     stage into a pass-through that stores nothing
 * @param capacity most images kept
 * @param maxBytes most bytes of stored images kept (each image as {@link StoredImage} keeps it)
 * @param policy which images the buffer keeps
 * @param shuffleWindow new images held and sent on in random order (a shuffle buffer of this many
 *     images, as tf.data's), so that a batch mixes images from this far apart in the stream; 0: none
 * @param maxLag seconds an image's Kafka record may be old when it reaches the stage and still go to
 *     the trainer as new; an older (stale) one only goes into the buffer (or, without replay, nowhere),
 *     so that a job slower than its stream trains on the present and samples the past instead of
 *     falling ever further behind; 0: no limit (every image goes to the trainer, however late)
 */
public record ReplaySettings(double fraction, int capacity, long maxBytes, ReplayPolicy policy, int shuffleWindow,
        double maxLag) implements Serializable {

    public static final Option<Double> FRACTION = Option.number("replay.fraction", "0.9",
            "share of the images the trainer gets that are replayed from the buffer (fresh views of stored"
                    + " images), 0 to 0.99; 0 turns replay off").between(0, 0.99);
    public static final Option<Integer> CAPACITY = Option.integer("replay.capacity", "10000",
            "most images the replay buffer keeps").positive();
    public static final Option<Long> MAX_BYTES = Option.wholeNumber("replay.max-bytes", "268435456",
            "most bytes the replay buffer keeps (images stored losslessly compressed): past them it keeps fewer"
                    + " images than --replay.capacity").positive();
    public static final Option<ReplayPolicy> POLICY = Option.parsedBy("replay.policy", "reservoir",
            "which images the buffer keeps: reservoir (a uniform sample of all seen) or minred (evicts the most"
                    + " redundant: the closest pair in a fixed 8x8 gray-pixel feature space)", ReplayPolicy::parse);

    public static final Option<Integer> SHUFFLE_WINDOW = Option.integer("replay.shuffle-window", "0",
            "new images the stage holds and sends on in random order, so that a batch mixes images this far apart"
                    + " in the stream (each image waits until this many have arrived after it, on average); 0: none")
            .between(0, 1_000_000);

    public static final Option<Double> MAX_LAG = Option.number("replay.max-lag", "30",
            "seconds a Kafka record may be old (its timestamp against the job's clock) and still reach the trainer as"
                    + " a new image; older ones go into the replay buffer only (without replay: are skipped), counted"
                    + " in imagesStale, so a job slower than its stream trains on the present and samples the past;"
                    + " 0: none skipped, the job trains on every image however far it lags").between(0, 1e9);

    /** The replay.* options, in help order. */
    public static final List<Option<?>> OPTIONS = List.of(FRACTION, CAPACITY, MAX_BYTES, POLICY, SHUFFLE_WINDOW,
            MAX_LAG);

    public ReplaySettings {
        FRACTION.require(fraction);
        CAPACITY.require(capacity);
        MAX_BYTES.require(maxBytes);
        SHUFFLE_WINDOW.require(shuffleWindow);
        MAX_LAG.require(maxLag);
        if (policy == null) {
            throw new IllegalArgumentException("a replay policy is needed");
        }
    }

    /** No lag limit. */
    public ReplaySettings(double fraction, int capacity, long maxBytes, ReplayPolicy policy, int shuffleWindow) {
        this(fraction, capacity, maxBytes, policy, shuffleWindow, 0);
    }

    /** The replay.* options' values. */
    public static ReplaySettings from(OptionValues values) {
        return new ReplaySettings(values.get(FRACTION), values.get(CAPACITY), values.get(MAX_BYTES), values.get(POLICY),
                values.get(SHUFFLE_WINDOW), values.get(MAX_LAG));
    }

    /** Replay off: every image passes through once, in order, nothing is stored. */
    public static ReplaySettings off() {
        return new ReplaySettings(0, 1, 1, ReplayPolicy.RESERVOIR, 0);
    }

    /** Whether the stage replays (and so stores) anything. */
    public boolean enabled() {
        return fraction > 0;
    }

    /** Whether the stage holds, stores or counts anything: replay, a shuffle window, or a lag limit. */
    public boolean stateful() {
        return enabled() || shuffleWindow > 0 || maxLag > 0;
    }

    /** Whether an image whose Kafka record has the given time is stale at now (both in ms since the epoch). */
    public boolean stale(long recordTime, long now) {
        return maxLag > 0 && recordTime >= 0 && now - recordTime > maxLag * 1000;
    }

    /** Replays per new image, on average: fraction / (1 - fraction). */
    public double replaysPerImage() {
        return fraction / (1 - fraction);
    }
}
