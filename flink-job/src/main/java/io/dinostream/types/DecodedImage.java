package io.dinostream.types;


/**
 * An event's image decoded to 8-bit RGB, with the event id, where it was read, the event's label
 * ("" when it has none; only evaluation reads it), whether it is a replay (0 for an image as it
 * arrived, n > 0 for the replay stage's n-th replayed image: an image from its buffer, sent again so
 * that it gets fresh views), and the timestamp of the Kafka record it came in (milliseconds since the
 * epoch; {@link #NO_TIME} when it did not come from Kafka or the time is not kept), which tells the
 * replay stage how far the job lags the stream.
 */
public record DecodedImage(String id, SourcePosition position, RgbImage image, String label, long replay, long time) {

    /** The time of an image that did not come in a Kafka record with a timestamp. */
    public static final long NO_TIME = -1;

    public DecodedImage {
        label = label == null ? "" : label;
        if (replay < 0) {
            throw new IllegalArgumentException("a replay number is 0 (not a replay) or positive, got " + replay);
        }
        if (time < 0) {
            time = NO_TIME; // Kafka says -1 for no timestamp; nothing before the epoch is a lag
        }
    }

    /** An image without a record time. */
    public DecodedImage(String id, SourcePosition position, RgbImage image, String label, long replay) {
        this(id, position, image, label, replay, NO_TIME);
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
        return new DecodedImage(id, position, other, label, replay, time);
    }

    /** This image sent again as the replay stage's n-th replay. */
    public DecodedImage asReplay(long n) {
        if (n < 1) {
            throw new IllegalArgumentException("replays are numbered from 1, got " + n);
        }
        return new DecodedImage(id, position, image, label, n, time);
    }

    /** The same image with the time of the Kafka record it came in. */
    public DecodedImage at(long recordTime) {
        return new DecodedImage(id, position, image, label, replay, recordTime);
    }

    /** True when the replay stage sent this image again from its buffer. */
    public boolean isReplay() {
        return replay > 0;
    }
}
