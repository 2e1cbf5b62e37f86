package io.dinostream.types;


/**
 * An event's image decoded to 8-bit RGB, with the event id, where it was read, and the event's
 * label ("" when it has none; only evaluation reads it).
 */
public record DecodedImage(String id, SourcePosition position, RgbImage image, String label) {

    public DecodedImage {
        label = label == null ? "" : label;
    }

    /** An unlabelled image. */
    public DecodedImage(String id, SourcePosition position, RgbImage image) {
        this(id, position, image, "");
    }

    /** The same image, another size or content. */
    public DecodedImage withImage(RgbImage other) {
        return new DecodedImage(id, position, other, label);
    }
}
