package io.dinostream.ingest;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.dinostream.proto.DeadLetter;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.DecodedImage;
import io.dinostream.types.RawRecord;
import io.dinostream.types.RgbImage;
import io.dinostream.types.StreamTypes;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * Parses each Kafka record as an {@link ImageEvent}, checks its text fields against the
 * {@link FieldLimits} and decodes its image to 8-bit RGB within the {@link DecodeLimits}. A record
 * that cannot be used goes to the {@link #DEAD_LETTERS} side output
 * with its original bytes, position and a reason; a counter per reason
 * ({@code deadLetters_<REASON>}) shows them in the dashboard. Never fails on bad input.
 */
public final class DecodeImage extends ProcessFunction<RawRecord, DecodedImage> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DecodeImage.class);

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters", StreamTypes.DEAD_LETTER);

    /** Largest key a dead letter keeps; a key is an id, rarely more than a few bytes. */
    static final int DEAD_LETTER_MAX_KEY_BYTES = 16 * 1024;

    private final DecodeLimits limits;
    private final FieldLimits fields;
    private final int deadLetterMaxBytes;
    private transient Map<DeadLetter.Reason, Counter> rejected;
    private transient Counter decoded;

    /**
     * @param deadLetterMaxBytes how much of a rejected record's value its dead letter keeps: a
     *     dead letter carrying a whole multi-megabyte image would be over the producer's and the
     *     broker's request limits (1 MB by default), fail the dead-letter sink, and fail the task
     *     again on every restart
     */
    public DecodeImage(DecodeLimits limits, FieldLimits fields, int deadLetterMaxBytes) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.fields = Objects.requireNonNull(fields, "fields");
        if (deadLetterMaxBytes < 0) {
            throw new IllegalArgumentException("dead-letter size limit must be >= 0 bytes, got " + deadLetterMaxBytes);
        }
        this.deadLetterMaxBytes = deadLetterMaxBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        rejected = new EnumMap<>(DeadLetter.Reason.class);
        for (DeadLetter.Reason reason : DeadLetter.Reason.values()) {
            if (reason != DeadLetter.Reason.UNRECOGNIZED) {
                rejected.put(reason, getRuntimeContext().getMetricGroup().counter("deadLetters_" + reason.name()));
            }
        }
        decoded = getRuntimeContext().getMetricGroup().counter("imagesDecoded");
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<DecodedImage> out) {
        ImageEvent event;
        try {
            event = parse(record);
        } catch (RejectedImageException e) {
            reject(record, "", e.reason(), e.getMessage(), ctx);
            return;
        }
        RgbImage image;
        try {
            fields.check(event);
            image = ImageDecoder.decode(event, limits);
        } catch (RejectedImageException e) {
            reject(record, event.getId(), e.reason(), e.getMessage(), ctx);
            return;
        } catch (RuntimeException e) { // a decoder bug must not stop the job either
            reject(record, event.getId(), DeadLetter.Reason.UNDECODABLE_IMAGE,
                    "unexpected decoder error: " + e, ctx);
            return;
        }
        decoded.inc();
        // Outside the try: chained operators run inside collect(), and their failures are theirs.
        out.collect(new DecodedImage(event.getId(), record.position(), image, event.getLabel(), 0, record.timestamp()));
    }

    /**
     * The record's value as an ImageEvent.
     *
     * @throws RejectedImageException NULL_RECORD for a tombstone (no value), EMPTY_RECORD for a
     *     zero-byte value, MALFORMED_EVENT for bytes that are not an ImageEvent
     */
    static ImageEvent parse(RawRecord record) throws RejectedImageException {
        if (record.value() == null) {
            throw new RejectedImageException(DeadLetter.Reason.NULL_RECORD,
                    "the record has no value (a Kafka tombstone, as a compacted topic's delete writes);"
                            + " the input topic takes ImageEvent messages only");
        }
        if (record.value().length == 0) {
            throw new RejectedImageException(DeadLetter.Reason.EMPTY_RECORD,
                    "the record value is empty (0 bytes), an ImageEvent with nothing set; the producer"
                            + " must send a serialized ImageEvent with its image in data");
        }
        try {
            return ImageEvent.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new RejectedImageException(DeadLetter.Reason.MALFORMED_EVENT,
                    "the record is not an ImageEvent protobuf message: " + e.getMessage(), e);
        }
    }

    private void reject(RawRecord record, String eventId, DeadLetter.Reason reason, String message, Context ctx) {
        rejected.get(reason).inc();
        String id = fields.traceableId(eventId); // an over-long id must not bloat the log or the dead letter
        LOG.debug("dead letter {} {}: {} {}", record.position(), id, reason, message);
        byte[] value = record.value() == null ? new byte[0] : record.value();
        if (value.length > deadLetterMaxBytes) {
            message += String.format(" (this dead letter keeps the first %d of the record's %d bytes; the whole record"
                    + " is at %s)", deadLetterMaxBytes, value.length, record.position());
        }
        DeadLetter.Builder letter = DeadLetter.newBuilder()
                .setOriginalValue(ByteString.copyFrom(value, 0, Math.min(value.length, deadLetterMaxBytes)))
                .setOriginalValueSize(value.length)
                .setTopic(record.topic())
                .setPartition(record.partition())
                .setOffset(record.offset())
                .setReason(reason)
                .setMessage(message)
                .setRejectedAtMillis(System.currentTimeMillis())
                .setEventId(id);
        if (record.key() != null) {
            letter.setOriginalKey(ByteString.copyFrom(record.key(), 0, Math.min(record.key().length, DEAD_LETTER_MAX_KEY_BYTES)))
                    .setOriginalKeySize(record.key().length);
        }
        ctx.output(DEAD_LETTERS, letter.build());
    }
}
