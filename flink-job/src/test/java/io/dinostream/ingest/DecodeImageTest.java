package io.dinostream.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.dinostream.proto.DeadLetter;
import io.dinostream.proto.DeadLetter.Reason;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.DecodedImage;
import io.dinostream.types.RawRecord;
import io.dinostream.types.RgbImage;
import io.dinostream.types.SourcePosition;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DecodeImage as Flink runs it, in Flink's operator test harness: a usable record comes out
 * decoded, every other record goes to the dead-letter side output with its reason, and none fails
 * the operator. First, how it tells apart the records that are not an ImageEvent at all.
 */
class DecodeImageTest {

    private static final RgbImage PIXELS = DecoderFixtures.noise(16, 12, 1);

    private OneInputStreamOperatorTestHarness<RawRecord, DecodedImage> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private static Reason reasonFor(byte[] value) {
        RawRecord record = new RawRecord(new byte[] {1}, value, "images", 0, 7, 0);
        return assertThrows(RejectedImageException.class, () -> DecodeImage.parse(record)).reason();
    }

    @Test
    void aTombstoneIsANullRecord() {
        assertEquals(Reason.NULL_RECORD, reasonFor(null));
    }

    @Test
    void aZeroByteValueIsAnEmptyRecordNotATombstone() {
        assertEquals(Reason.EMPTY_RECORD, reasonFor(new byte[0]));
    }

    @Test
    void bytesThatAreNotAProtobufAreAMalformedEvent() {
        assertEquals(Reason.MALFORMED_EVENT, reasonFor(new byte[] {(byte) 0xFF, (byte) 0xFF, 1, 2, 3}));
    }

    @Test
    void anImageEventParses() throws Exception {
        ImageEvent event = ImageEvent.newBuilder().setId("e-1").build();

        assertEquals(event, DecodeImage.parse(new RawRecord(null, event.toByteArray(), "images", 0, 0, 0)));
    }

    // ---------------------------------------------------------------- the operator

    private OneInputStreamOperatorTestHarness<RawRecord, DecodedImage> open(FieldLimits fields, int deadLetterMaxBytes)
            throws Exception {
        harness = ProcessFunctionTestHarnesses.forProcessFunction(
                new DecodeImage(DecodeLimits.defaults(), fields, deadLetterMaxBytes));
        return harness;
    }

    private OneInputStreamOperatorTestHarness<RawRecord, DecodedImage> open() throws Exception {
        return open(FieldLimits.defaults(), 256 * 1024);
    }

    private static RawRecord record(String key, byte[] value, long offset) {
        return new RawRecord(key.getBytes(StandardCharsets.UTF_8), value, "images", 2, offset, 1_000L);
    }

    private static ImageEvent.Builder png(String id) {
        return ImageEvent.newBuilder().setId(id).setEncoding(ImageEvent.Encoding.PNG)
                .setData(ByteString.copyFrom(ImageEncoding.png(PIXELS)));
    }

    private List<DeadLetter> deadLetters() {
        var queue = harness.getSideOutput(DecodeImage.DEAD_LETTERS);
        List<DeadLetter> out = new ArrayList<>();
        if (queue != null) {
            queue.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    @Test
    void aGoodEventComesOutDecodedWithItsIdPositionLabelAndRecordTime() throws Exception {
        open().processElement(new StreamRecord<>(record("k", png("cam-1/7").setLabel("cat").build().toByteArray(), 41)));

        assertEquals(List.of(new DecodedImage("cam-1/7", new SourcePosition("images", 2, 41), PIXELS, "cat", 0, 1_000L)),
                harness.extractOutputValues());
        assertEquals(List.of(), deadLetters());
    }

    /** One record of every kind the job cannot use, with its reason and words its message must say. */
    static Stream<Arguments> unusableRecords() {
        byte[] jpeg = ImageEncoding.jpeg(PIXELS, 0.9f);
        return Stream.of(
                Arguments.of("a tombstone", null, Reason.NULL_RECORD, "Kafka tombstone"),
                Arguments.of("a zero-byte value", new byte[0], Reason.EMPTY_RECORD, "empty (0 bytes)"),
                Arguments.of("bytes that are no protobuf", new byte[] {(byte) 0xFF, (byte) 0xFF, 1, 2, 3},
                        Reason.MALFORMED_EVENT, "not an ImageEvent"),
                Arguments.of("an event without image bytes", png("e").setData(ByteString.EMPTY).build().toByteArray(),
                        Reason.EMPTY_IMAGE, "no image bytes"),
                Arguments.of("an event without encoding",
                        png("e").setEncoding(ImageEvent.Encoding.ENCODING_UNSPECIFIED).build().toByteArray(),
                        Reason.UNSUPPORTED_ENCODING, "set encoding to JPEG, PNG"),
                Arguments.of("a truncated JPEG", png("e").setEncoding(ImageEvent.Encoding.JPEG)
                        .setData(ByteString.copyFrom(Arrays.copyOf(jpeg, jpeg.length / 2))).build().toByteArray(),
                        Reason.UNDECODABLE_IMAGE, "could not read the JPEG"),
                Arguments.of("a PNG claiming 100000 x 100000 pixels",
                        png("e").setData(ByteString.copyFrom(ImageEncoding.pngClaiming(100_000, 100_000)))
                                .build().toByteArray(),
                        Reason.TOO_LARGE, "over the 8192 px limit set by ingest.max-side"),
                Arguments.of("raw pixels without a size", png("e").setEncoding(ImageEvent.Encoding.RAW_RGB8)
                        .setData(ByteString.copyFrom(PIXELS.toBytes())).build().toByteArray(),
                        Reason.BAD_DIMENSIONS, "needs width and height"),
                Arguments.of("a 4 x 4 image", png("e").setData(ByteString.copyFrom(
                        ImageEncoding.png(DecoderFixtures.noise(4, 4, 2)))).build().toByteArray(),
                        Reason.TOO_SMALL, "under the 8 px minimum set by ingest.min-side"),
                Arguments.of("a 2 KiB label", png("e").setLabel("x".repeat(2048)).build().toByteArray(),
                        Reason.FIELD_TOO_LONG, "over the 1024 byte limit set by ingest.max-label-bytes"),
                Arguments.of("a CMYK JPEG", png("e").setEncoding(ImageEvent.Encoding.JPEG)
                        .setData(ByteString.copyFrom(DecoderFixtures.fourComponentJpeg(16, 16, 0)))
                        .build().toByteArray(),
                        Reason.UNSUPPORTED_COLOR_SPACE, "CMYK JPEG is not supported; convert to RGB"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unusableRecords")
    void anUnusableRecordGoesToTheDeadLettersWithItsReasonWhereItWasReadAndItsBytes(
            String what, byte[] value, Reason reason, String explanation) throws Exception {
        open().processElement(new StreamRecord<>(record("k-9", value, 77)));

        assertEquals(List.of(), harness.extractOutputValues(), what + " is not trained on");
        List<DeadLetter> letters = deadLetters();
        assertEquals(1, letters.size(), what);
        DeadLetter letter = letters.get(0);
        assertEquals(reason, letter.getReason(), letter.getMessage());
        assertTrue(letter.getMessage().contains(explanation), letter.getMessage());
        assertEquals("images", letter.getTopic());
        assertEquals(2, letter.getPartition());
        assertEquals(77, letter.getOffset());
        assertEquals("k-9", letter.getOriginalKey().toStringUtf8());
        byte[] original = value == null ? new byte[0] : value;
        assertArrayEquals(original, letter.getOriginalValue().toByteArray(), "the record is kept whole");
        assertEquals(original.length, letter.getOriginalValueSize());
    }

    @Test
    void unusableRecordsDoNotStopTheOperatorAndTheGoodOnesAmongThemComeThrough() throws Exception {
        open();
        long offset = 0;
        List<Arguments> bad = unusableRecords().toList();
        for (Arguments args : bad) {
            harness.processElement(new StreamRecord<>(record("bad", (byte[]) args.get()[1], offset++)));
            harness.processElement(new StreamRecord<>(record("good", png("good-" + offset).build().toByteArray(),
                    offset++)));
        }

        assertEquals(bad.stream().map(a -> (Reason) a.get()[2]).toList(),
                deadLetters().stream().map(DeadLetter::getReason).toList());
        assertEquals(bad.size(), harness.extractOutputValues().size(), "every good record after a bad one");
    }

    @Test
    void aDeadLetterKeepsTheFirstConfiguredBytesOfALongRecordAndSaysWhereTheWholeOneIs() throws Exception {
        byte[] value = png("big").setEncoding(ImageEvent.Encoding.JPEG).build().toByteArray(); // a PNG, not a JPEG
        open(FieldLimits.defaults(), 100).processElement(new StreamRecord<>(record("k", value, 5)));

        DeadLetter letter = deadLetters().get(0);
        assertEquals(Reason.UNDECODABLE_IMAGE, letter.getReason());
        assertArrayEquals(Arrays.copyOf(value, 100), letter.getOriginalValue().toByteArray());
        assertEquals(value.length, letter.getOriginalValueSize());
        assertTrue(letter.getMessage().endsWith("(this dead letter keeps the first 100 of the record's "
                + value.length + " bytes; the whole record is at images/2@5)"), letter.getMessage());
    }

    @Test
    void aDeadLetterCarriesAnOverLongIdCutToTheIdLimit() throws Exception {
        FieldLimits eightByteIds = new FieldLimits(8, 1024, 1024, 64, 256, 4096);
        open(eightByteIds, 1024).processElement(new StreamRecord<>(record("k", png("camera-12/frame-3").build()
                .toByteArray(), 0)));

        DeadLetter letter = deadLetters().get(0);
        assertEquals(Reason.FIELD_TOO_LONG, letter.getReason());
        assertEquals("camera-1", letter.getEventId());
    }
}
