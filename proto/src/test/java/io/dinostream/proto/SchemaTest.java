package io.dinostream.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import org.junit.jupiter.api.Test;

class SchemaTest {

    @Test
    void imageEventRoundTripsWithOptionalLabelAndAttributes() throws InvalidProtocolBufferException {
        ImageEvent event = ImageEvent.newBuilder()
                .setId("cam-7/000123")
                .setSource("cam-7")
                .setEventTimeMillis(1_700_000_000_000L)
                .setEncoding(ImageEvent.Encoding.RAW_GRAY8)
                .setWidth(2)
                .setHeight(1)
                .setData(ByteString.copyFrom(new byte[] {0, (byte) 255}))
                .putAttributes("site", "north")
                .build();
        ImageEvent read = ImageEvent.parseFrom(event.toByteArray());
        assertEquals(event, read);
        assertFalse(read.hasLabel(), "an unset label is distinguishable from an empty one");
        assertTrue(read.toBuilder().setLabel("").build().hasLabel());
    }

    @Test
    void unknownFieldsFromANewerProducerAreIgnored() throws InvalidProtocolBufferException {
        byte[] newer = ImageEvent.newBuilder().setId("x").build().toByteArray();
        byte[] withField99 = new byte[newer.length + 3];
        System.arraycopy(newer, 0, withField99, 0, newer.length);
        // field 99, varint, value 1: tag = (99 << 3) | 0 = 792 → bytes 0x98 0x06
        withField99[newer.length] = (byte) 0x98;
        withField99[newer.length + 1] = 0x06;
        withField99[newer.length + 2] = 0x01;
        assertEquals("x", ImageEvent.parseFrom(withField99).getId());
    }

    @Test
    void garbageIsRejectedByTheParser() {
        assertThrows(InvalidProtocolBufferException.class,
                () -> ImageEvent.parseFrom(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF}));
    }

    @Test
    void deadLetterKeepsTheOriginalBytesAndReason() throws InvalidProtocolBufferException {
        DeadLetter letter = DeadLetter.newBuilder()
                .setOriginalValue(ByteString.copyFrom(new byte[] {1, 2, 3}))
                .setTopic("images")
                .setPartition(2)
                .setOffset(41)
                .setReason(DeadLetter.Reason.UNDECODABLE_IMAGE)
                .setMessage("truncated JPEG")
                .build();
        assertEquals(letter, DeadLetter.parseFrom(letter.toByteArray()));
    }
}
