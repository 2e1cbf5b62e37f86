package io.dinostream.ingest;

import com.google.protobuf.ByteString;
import java.util.Optional;

/**
 * Finds, from a JPEG file's markers and before any pixel is decoded, the colour spaces that the
 * JDK decoder does not convert to RGB as PIL's {@code convert("RGB")} does: four-component JPEGs,
 * CMYK (Adobe APP14 transform 0, or no APP14 segment) and YCCK (transform 2). The JDK reads them as
 * plain, non-inverted CMYK, so a pixel PIL gives as (42, 42, 42) would train as (113, 113, 113)
 * with no warning.
 *
 * <p>Reads the segments between SOI and the first frame header (SOF) only; anything it cannot
 * follow is left to the decoder, which reports broken files itself.
 */
final class JpegColorSpace {

    private static final int SOI = 0xD8;
    private static final int SOS = 0xDA;
    private static final int EOI = 0xD9;
    private static final int APP14 = 0xEE;
    private static final int TEM = 0x01;
    private static final byte[] ADOBE = {'A', 'd', 'o', 'b', 'e'};

    private JpegColorSpace() {}

    /** "CMYK" or "YCCK" when the JPEG has four components; empty for any other JPEG. */
    static Optional<String> unsupported(ByteString jpeg) {
        int adobeTransform = -1;
        int i = 2; // after SOI
        while (i + 4 <= jpeg.size()) {
            if (at(jpeg, i) != 0xFF) {
                return Optional.empty();
            }
            int marker = at(jpeg, i + 1);
            if (marker == 0xFF) { // fill byte
                i++;
                continue;
            }
            if (marker == SOI || marker == TEM || (marker >= 0xD0 && marker <= 0xD7)) {
                i += 2;
                continue;
            }
            if (marker == SOS || marker == EOI) {
                return Optional.empty(); // no frame header before the scan: the decoder will say
            }
            int length = (at(jpeg, i + 2) << 8) | at(jpeg, i + 3);
            int payload = i + 4;
            if (length < 2 || payload + length - 2 > jpeg.size()) {
                return Optional.empty();
            }
            if (marker == APP14 && length - 2 >= 12 && startsWith(jpeg, payload, ADOBE)) {
                adobeTransform = at(jpeg, payload + 11);
            }
            if (isStartOfFrame(marker)) {
                if (length - 2 < 6 || at(jpeg, payload + 5) != 4) {
                    return Optional.empty();
                }
                return Optional.of(adobeTransform == 2 ? "YCCK" : "CMYK");
            }
            i = payload + length - 2;
        }
        return Optional.empty();
    }

    /** SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static boolean startsWith(ByteString data, int offset, byte[] prefix) {
        for (int k = 0; k < prefix.length; k++) {
            if (data.byteAt(offset + k) != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    private static int at(ByteString data, int index) {
        return data.byteAt(index) & 0xFF;
    }
}
