package io.dinostream.ingest;

import io.dinostream.config.Option;
import io.dinostream.config.OptionValues;
import java.util.List;
import java.util.Objects;

/**
 * What {@link DecodeImage} accepts ({@code ingest.*}): the image limits, the event's text-field
 * limits, and how much of a rejected record a dead letter keeps. Immutable and checked when built.
 *
 * @param decodeLimits bounds on the encoded image and its sides
 * @param fieldLimits bounds on the event's id, source, label and attributes
 * @param deadLetterMaxBytes most bytes of a rejected record a dead letter keeps
 */
public record IngestSettings(DecodeLimits decodeLimits, FieldLimits fieldLimits, int deadLetterMaxBytes) {

    public static final Option<Integer> MAX_BYTES = Option.integer(DecodeLimits.MAX_BYTES_KEY,
            Integer.toString(DecodeLimits.DEFAULT_MAX_BYTES), "largest accepted image payload in bytes").positive();
    public static final Option<Integer> DEAD_LETTER_MAX_BYTES = Option.integer("ingest.dead-letter-max-bytes", "262144",
            "a dead letter keeps at most this many bytes of the rejected record (under Kafka's 1 MB default request"
                    + " size; the whole record stays in the input topic)").nonNegative();
    public static final Option<Integer> MAX_SIDE = Option.integer(DecodeLimits.MAX_SIDE_KEY,
            Integer.toString(DecodeLimits.DEFAULT_MAX_SIDE), "largest accepted image side in pixels, checked before"
                    + " decoding").positive();
    public static final Option<Integer> MIN_SIDE = Option.integer(DecodeLimits.MIN_SIDE_KEY,
            Integer.toString(DecodeLimits.DEFAULT_MIN_SIDE), "smallest accepted image side in pixels").positive();
    public static final Option<Integer> MAX_ID_BYTES = Option.integer(FieldLimits.MAX_ID_BYTES_KEY,
            Integer.toString(FieldLimits.DEFAULT_MAX_ID_BYTES), "longest accepted event id in UTF-8 bytes").positive();
    public static final Option<Integer> MAX_SOURCE_BYTES = Option.integer(FieldLimits.MAX_SOURCE_BYTES_KEY,
            Integer.toString(FieldLimits.DEFAULT_MAX_SOURCE_BYTES), "longest accepted event source in UTF-8 bytes")
            .positive();
    public static final Option<Integer> MAX_LABEL_BYTES = Option.integer(FieldLimits.MAX_LABEL_BYTES_KEY,
            Integer.toString(FieldLimits.DEFAULT_MAX_LABEL_BYTES), "longest accepted event label in UTF-8 bytes")
            .positive();
    public static final Option<Integer> MAX_ATTRIBUTES = Option.integer(FieldLimits.MAX_ATTRIBUTES_KEY,
            Integer.toString(FieldLimits.DEFAULT_MAX_ATTRIBUTES), "most attributes accepted on one event")
            .nonNegative();
    public static final Option<Integer> MAX_ATTRIBUTE_KEY_BYTES = Option.integer(FieldLimits.MAX_ATTRIBUTE_KEY_BYTES_KEY,
            Integer.toString(FieldLimits.DEFAULT_MAX_ATTRIBUTE_KEY_BYTES), "longest accepted attribute key in UTF-8 bytes")
            .positive();
    public static final Option<Integer> MAX_ATTRIBUTE_VALUE_BYTES = Option.integer(
            FieldLimits.MAX_ATTRIBUTE_VALUE_BYTES_KEY, Integer.toString(FieldLimits.DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES),
            "longest accepted attribute value in UTF-8 bytes").positive();

    /** The ingest.* options, in help order. */
    public static final List<Option<?>> OPTIONS = List.of(MAX_BYTES, DEAD_LETTER_MAX_BYTES, MAX_SIDE, MIN_SIDE,
            MAX_ID_BYTES, MAX_SOURCE_BYTES, MAX_LABEL_BYTES, MAX_ATTRIBUTES, MAX_ATTRIBUTE_KEY_BYTES,
            MAX_ATTRIBUTE_VALUE_BYTES);

    public IngestSettings {
        Objects.requireNonNull(decodeLimits, "decodeLimits");
        Objects.requireNonNull(fieldLimits, "fieldLimits");
        DEAD_LETTER_MAX_BYTES.require(deadLetterMaxBytes);
    }

    /** The defaults: {@link DecodeLimits#defaults()}, {@link FieldLimits#defaults()}, 256 KiB dead letters. */
    public static IngestSettings defaults() {
        return new IngestSettings(DecodeLimits.defaults(), FieldLimits.defaults(),
                Integer.parseInt(DEAD_LETTER_MAX_BYTES.defaultText()));
    }

    /** The ingest.* options' values. */
    public static IngestSettings from(OptionValues values) {
        return new IngestSettings(
                new DecodeLimits(values.get(MAX_BYTES), values.get(MAX_SIDE), values.get(MIN_SIDE)),
                new FieldLimits(values.get(MAX_ID_BYTES), values.get(MAX_SOURCE_BYTES), values.get(MAX_LABEL_BYTES),
                        values.get(MAX_ATTRIBUTES), values.get(MAX_ATTRIBUTE_KEY_BYTES),
                        values.get(MAX_ATTRIBUTE_VALUE_BYTES)),
                values.get(DEAD_LETTER_MAX_BYTES));
    }
}
