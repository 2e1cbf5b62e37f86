package io.dinostream.replay;

import java.util.Locale;

/** Which images the replay buffer keeps when it is full. */
public enum ReplayPolicy {
    /**
     * Reservoir sampling (Vitter's algorithm R): after n images, the buffer is a uniform sample of
     * all n, whatever their order; old and new images are kept alike.
     */
    RESERVOIR,
    /**
     * MinRed (Purushwalkam et al., "The Challenges of Continuous Self-Supervised Learning", ECCV 2022):
     * every new image enters and the most redundant image leaves — the older image of the closest
     * pair, closest by cosine similarity of features. The paper uses the model's own features; the
     * replay stage runs before the model, so here they are fixed: the image's 8x8 gray thumbnail,
     * mean removed, unit length.
     */
    MINRED;

    public static ReplayPolicy parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--replay.policy must be reservoir or minred, got '" + text + "'");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
