package io.dinostream.ingest;

import com.google.protobuf.ByteString;
import io.dinostream.proto.DeadLetter.Reason;
import io.dinostream.proto.ImageEvent;
import java.io.Serializable;
import java.util.Map;

/**
 * Bounds on an event's text fields (id, source, label, attributes), checked when the event is read
 * so that no field can fail a later stage: ids and labels travel with every image, into Flink's
 * network buffers, the trainer's and the monitor's state, logs and dead letters. An event over a
 * limit goes to the dead-letter topic as {@link Reason#FIELD_TOO_LONG}. Sizes are UTF-8 bytes.
 *
 * <p>Serializable, because Flink functions that hold it are shipped to task managers.
 *
 * @param maxIdBytes longest id ({@code ingest.max-id-bytes}, default 1024)
 * @param maxSourceBytes longest source ({@code ingest.max-source-bytes}, default 1024)
 * @param maxLabelBytes longest label ({@code ingest.max-label-bytes}, default 1024)
 * @param maxAttributes most attributes per event ({@code ingest.max-attributes}, default 64)
 * @param maxAttributeKeyBytes longest attribute key ({@code ingest.max-attribute-key-bytes}, 256)
 * @param maxAttributeValueBytes longest attribute value ({@code ingest.max-attribute-value-bytes},
 *     default 4096)
 */
public record FieldLimits(
        int maxIdBytes,
        int maxSourceBytes,
        int maxLabelBytes,
        int maxAttributes,
        int maxAttributeKeyBytes,
        int maxAttributeValueBytes)
        implements Serializable {

    public static final String MAX_ID_BYTES_KEY = "ingest.max-id-bytes";
    public static final String MAX_SOURCE_BYTES_KEY = "ingest.max-source-bytes";
    public static final String MAX_LABEL_BYTES_KEY = "ingest.max-label-bytes";
    public static final String MAX_ATTRIBUTES_KEY = "ingest.max-attributes";
    public static final String MAX_ATTRIBUTE_KEY_BYTES_KEY = "ingest.max-attribute-key-bytes";
    public static final String MAX_ATTRIBUTE_VALUE_BYTES_KEY = "ingest.max-attribute-value-bytes";

    public static final int DEFAULT_MAX_ID_BYTES = 1024;
    public static final int DEFAULT_MAX_SOURCE_BYTES = 1024;
    public static final int DEFAULT_MAX_LABEL_BYTES = 1024;
    public static final int DEFAULT_MAX_ATTRIBUTES = 64;
    public static final int DEFAULT_MAX_ATTRIBUTE_KEY_BYTES = 256;
    public static final int DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES = 4096;

    /** How much of an over-long field a rejection message quotes. */
    private static final int QUOTED_CHARS = 40;

    public FieldLimits {
        positive(maxIdBytes, MAX_ID_BYTES_KEY);
        positive(maxSourceBytes, MAX_SOURCE_BYTES_KEY);
        positive(maxLabelBytes, MAX_LABEL_BYTES_KEY);
        if (maxAttributes < 0) {
            throw new IllegalArgumentException(
                    MAX_ATTRIBUTES_KEY + " must be 0 or more, got " + maxAttributes);
        }
        positive(maxAttributeKeyBytes, MAX_ATTRIBUTE_KEY_BYTES_KEY);
        positive(maxAttributeValueBytes, MAX_ATTRIBUTE_VALUE_BYTES_KEY);
    }

    /** 1 KiB ids, sources and labels; 64 attributes of 256-byte keys and 4 KiB values. */
    public static FieldLimits defaults() {
        return new FieldLimits(DEFAULT_MAX_ID_BYTES, DEFAULT_MAX_SOURCE_BYTES, DEFAULT_MAX_LABEL_BYTES,
                DEFAULT_MAX_ATTRIBUTES, DEFAULT_MAX_ATTRIBUTE_KEY_BYTES, DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES);
    }

    /**
     * Checks every text field of the event against these limits.
     *
     * @throws RejectedImageException with reason FIELD_TOO_LONG, naming the field and its setting
     */
    public void check(ImageEvent event) throws RejectedImageException {
        checkField("id", event.getIdBytes(), maxIdBytes, MAX_ID_BYTES_KEY);
        checkField("source", event.getSourceBytes(), maxSourceBytes, MAX_SOURCE_BYTES_KEY);
        if (event.hasLabel()) {
            checkField("label", event.getLabelBytes(), maxLabelBytes, MAX_LABEL_BYTES_KEY);
        }
        if (event.getAttributesCount() > maxAttributes) {
            throw new RejectedImageException(Reason.FIELD_TOO_LONG, "the event has "
                    + event.getAttributesCount() + " attributes, over the limit of " + maxAttributes
                    + " set by " + MAX_ATTRIBUTES_KEY + "; send fewer attributes or raise " + MAX_ATTRIBUTES_KEY);
        }
        for (Map.Entry<String, String> attribute : event.getAttributesMap().entrySet()) {
            String key = attribute.getKey();
            checkField("attribute key", ByteString.copyFromUtf8(key), maxAttributeKeyBytes,
                    MAX_ATTRIBUTE_KEY_BYTES_KEY);
            checkField("value of attribute '" + quote(key) + "'", ByteString.copyFromUtf8(attribute.getValue()),
                    maxAttributeValueBytes, MAX_ATTRIBUTE_VALUE_BYTES_KEY);
        }
    }

    /**
     * The id as a dead letter may carry it: whole when within {@link #maxIdBytes()}, else its
     * longest prefix of whole characters that fits, so an over-long id cannot bloat the dead letter.
     */
    public String traceableId(String id) {
        if (ByteString.copyFromUtf8(id).size() <= maxIdBytes) {
            return id;
        }
        int bytes = 0;
        int end = 0;
        while (end < id.length()) {
            int codePoint = id.codePointAt(end);
            int size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
            if (bytes + size > maxIdBytes) {
                break;
            }
            bytes += size;
            end += Character.charCount(codePoint);
        }
        return id.substring(0, end);
    }

    private static void checkField(String field, ByteString utf8, int limit, String key)
            throws RejectedImageException {
        if (utf8.size() > limit) {
            throw new RejectedImageException(Reason.FIELD_TOO_LONG, "the " + field + " is " + utf8.size()
                    + " bytes, over the " + limit + " byte limit set by " + key + " (it starts '"
                    + quote(utf8.toStringUtf8()) + "'); shorten it at the producer or raise " + key);
        }
    }

    private static String quote(String text) {
        if (text.length() <= QUOTED_CHARS) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(QUOTED_CHARS - 1)) ? QUOTED_CHARS - 1 : QUOTED_CHARS;
        return text.substring(0, end) + "...";
    }

    private static void positive(int value, String key) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }
}
