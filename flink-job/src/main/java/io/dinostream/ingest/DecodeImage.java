package io.dinostream.ingest;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.dinostream.augment.RgbImage;
import io.dinostream.proto.DeadLetter;
import io.dinostream.proto.ImageEvent;
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

/**
 * Parses each Kafka record as an {@link ImageEvent} and decodes its image to 8-bit RGB within the
 * configured limits. A record that cannot be used goes to the {@link #DEAD_LETTERS} side output
 * with its original bytes, position and a reason; a counter per reason
 * ({@code deadLetters_<REASON>}) shows them in the dashboard. Never fails on bad input.
 */
public final class DecodeImage extends ProcessFunction<RawRecord, DecodedImage> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DecodeImage.class);

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters", StreamTypes.DEAD_LETTER);

    private final DecodeLimits limits;
    private transient Map<DeadLetter.Reason, Counter> rejected;
    private transient Counter decoded;

    public DecodeImage(DecodeLimits limits) {
        this.limits = limits;
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
            event = ImageEvent.parseFrom(record.value() == null ? new byte[0] : record.value());
        } catch (InvalidProtocolBufferException e) {
            reject(record, "", DeadLetter.Reason.MALFORMED_EVENT,
                    "the record is not an ImageEvent protobuf message: " + e.getMessage(), ctx);
            return;
        }
        RgbImage image;
        try {
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
        out.collect(new DecodedImage(event.getId(), record.position(), image, event.getLabel()));
    }

    private void reject(RawRecord record, String id, DeadLetter.Reason reason, String message, Context ctx) {
        rejected.get(reason).inc();
        LOG.debug("dead letter {} {}: {} {}", record.position(), id, reason, message);
        DeadLetter.Builder letter = DeadLetter.newBuilder()
                .setOriginalValue(record.value() == null ? ByteString.EMPTY : ByteString.copyFrom(record.value()))
                .setTopic(record.topic())
                .setPartition(record.partition())
                .setOffset(record.offset())
                .setReason(reason)
                .setMessage(message)
                .setRejectedAtMillis(System.currentTimeMillis())
                .setEventId(id);
        if (record.key() != null) {
            letter.setOriginalKey(ByteString.copyFrom(record.key()));
        }
        ctx.output(DEAD_LETTERS, letter.build());
    }
}
