package io.dinostream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dinostream.proto.DeadLetter.Reason;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.RawRecord;
import org.junit.jupiter.api.Test;

/** How DecodeImage tells apart the records that are not an ImageEvent at all. */
class DecodeImageTest {

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
}
