package io.dinostream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.proto.DeadLetter.Reason;
import io.dinostream.proto.ImageEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

/** Every text field of an event is bounded, so that none can fail a later stage. */
class FieldLimitsTest {

    /** Ids, sources and labels up to 10 bytes, 2 attributes with 4-byte keys and 6-byte values. */
    private static final FieldLimits SMALL = new FieldLimits(10, 10, 10, 2, 4, 6);

    private static ImageEvent.Builder event() {
        return ImageEvent.newBuilder().setId("id-1").setSource("cam").setLabel("cat").putAttributes("k", "v");
    }

    private static RejectedImageException rejected(ImageEvent.Builder event) {
        RejectedImageException e = assertThrows(RejectedImageException.class, () -> SMALL.check(event.build()));
        assertEquals(Reason.FIELD_TOO_LONG, e.reason(), e.getMessage());
        return e;
    }

    @Test
    void defaultsAreOneKibibyteFieldsAndSixtyFourAttributes() {
        assertEquals(new FieldLimits(1024, 1024, 1024, 64, 256, 4096), FieldLimits.defaults());
    }

    @Test
    void anEventWithinEveryLimitPasses() throws Exception {
        SMALL.check(event().setId("0123456789").setSource("0123456789").setLabel("0123456789")
                .putAttributes("abcd", "123456").build());
    }

    @Test
    void anIdOverItsLimitIsFieldTooLongNamingTheSetting() {
        RejectedImageException e = rejected(event().setId("0123456789a"));

        assertTrue(e.getMessage().contains("the id is 11 bytes, over the 10 byte limit set by ingest.max-id-bytes"),
                e.getMessage());
    }

    @Test
    void anIdOver64KiBIsRejectedWithAShortMessage() {
        RejectedImageException e = rejected(event().setId("x".repeat(70_000)));

        assertTrue(e.getMessage().length() < 300, "the message quotes the id, not all of it: " + e.getMessage());
    }

    @Test
    void limitsCountUtf8BytesNotCharacters() {
        // four characters, twelve bytes
        RejectedImageException e = rejected(event().setId("\u732b\u732b\u732b\u732b"));

        assertTrue(e.getMessage().contains("12 bytes"), e.getMessage());
    }

    @Test
    void aSourceOverItsLimitIsFieldTooLong() {
        assertTrue(rejected(event().setSource("camera-0123")).getMessage().contains("ingest.max-source-bytes"));
    }

    @Test
    void aLabelOverItsLimitIsFieldTooLong() {
        assertTrue(rejected(event().setLabel("a-long-label")).getMessage().contains("ingest.max-label-bytes"));
    }

    @Test
    void tooManyAttributesIsFieldTooLong() {
        RejectedImageException e = rejected(event().putAttributes("a", "1").putAttributes("b", "2"));

        assertTrue(e.getMessage().contains("3 attributes, over the limit of 2 set by ingest.max-attributes"),
                e.getMessage());
    }

    @Test
    void anAttributeKeyOverItsLimitIsFieldTooLong() {
        assertTrue(rejected(event().putAttributes("abcde", "1")).getMessage()
                .contains("ingest.max-attribute-key-bytes"));
    }

    @Test
    void anAttributeValueOverItsLimitIsFieldTooLongNamingTheKey() {
        RejectedImageException e = rejected(event().putAttributes("lens", "1234567"));

        assertTrue(e.getMessage().contains("value of attribute 'lens'"), e.getMessage());
        assertTrue(e.getMessage().contains("ingest.max-attribute-value-bytes"), e.getMessage());
    }

    @Test
    void traceableIdKeepsAnIdWithinTheLimitWhole() {
        assertEquals("0123456789", SMALL.traceableId("0123456789"));
    }

    @Test
    void traceableIdCutsALongIdAtTheLastWholeCharacterThatFits() {
        // 3 + 3 + 3 bytes fit in 10, a fourth 3-byte character does not
        assertEquals("\u732b\u732b\u732b", SMALL.traceableId("\u732b\u732b\u732b\u732b"));
        // a 4-byte emoji is never split into a lone surrogate
        assertEquals("abcdefg", SMALL.traceableId("abcdefg\ud83d\udcf7"));
    }

    @Test
    void invalidLimitsAreRefusedNamingTheSetting() {
        IllegalArgumentException id =
                assertThrows(IllegalArgumentException.class, () -> new FieldLimits(0, 1, 1, 1, 1, 1));
        assertTrue(id.getMessage().contains("ingest.max-id-bytes"), id.getMessage());

        IllegalArgumentException attributes =
                assertThrows(IllegalArgumentException.class, () -> new FieldLimits(1, 1, 1, -1, 1, 1));
        assertTrue(attributes.getMessage().contains("ingest.max-attributes"), attributes.getMessage());
    }

    @Test
    void noAttributesAtAllCanBeRequired() throws Exception {
        FieldLimits none = new FieldLimits(10, 10, 10, 0, 4, 6);

        none.check(ImageEvent.newBuilder().setId("a").build());
        assertThrows(RejectedImageException.class,
                () -> none.check(ImageEvent.newBuilder().putAttributes("k", "v").build()));
    }

    @Test
    void survivesJavaSerializationAsFlinkFunctionsNeed() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(SMALL);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(SMALL, in.readObject());
        }
    }
}
