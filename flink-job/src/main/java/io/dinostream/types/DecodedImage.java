package io.dinostream.types;


/**
 * An event's image decoded to 8-bit RGB, with the event id, where it was read, the event's label
 * ("" when it has none; only evaluation reads it), and whether it is a replay: 0 for an image as it
 * arrived, n > 0 for the replay stage's n-th replayed image (an image from its buffer, sent again
 * so that it gets fresh views).
 */
public record DecodedImage(String id, SourcePosition position, RgbImage image, String label, long replay) {

    public DecodedImage {
        label = label == null ? "" : label;
        if (replay < 0) {
            throw new IllegalArgumentException("a replay number is 0 (not a replay) or positive, got " + replay);
        }
    }

    /** An image as it arrived (not a replay). */
    public DecodedImage(String id, SourcePosition position, RgbImage image, String label) {
        this(id, position, image, label, 0);
    }

    /** An unlabelled image. */
    public DecodedImage(String id, SourcePosition position, RgbImage image) {
        this(id, position, image, "");
    }

    /** The same image, another size or content. */
    public DecodedImage withImage(RgbImage other) {
        return new DecodedImage(id, position, other, label, replay);
    }

    /** This image sent again as the replay stage's n-th replay. */
    public DecodedImage asReplay(long n) {
        if (n < 1) {
            throw new IllegalArgumentException("replays are numbered from 1, got " + n);
        }
        return new DecodedImage(id, position, image, label, n);
    }

    /** True when the replay stage sent this image again from its buffer. */
    public boolean isReplay() {
        return replay > 0;
    }
}
