package io.dinostream.chaos;

import com.google.protobuf.ByteString;
import io.dinostream.ingest.ImageEncoding;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.RgbImage;

import java.nio.charset.StandardCharsets;

/**
 * Record values no job may train on and none may fail a task with: each must become a dead
 * letter. They cycle through the kinds users have sent: not a protobuf, a corrupt JPEG, no
 * bytes, a PNG header that claims 100,000 × 100,000 pixels, raw pixels that do not fill the
 * declared size, a valid image whose id is 70,000 characters, an empty record and a null one (a
 * tombstone).
 */
final class PoisonEvents {

    static final int KINDS = 8;

    private PoisonEvents() {}

    /** The n-th poison value; null for a tombstone. */
    static byte[] value(long n) {
        String id = "poison-" + n;
        return switch ((int) (n % KINDS)) {
            case 0 -> ("not a protobuf at all " + n).getBytes(StandardCharsets.UTF_8);
            case 1 -> event(id, ImageEvent.Encoding.JPEG, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
            case 2 -> event(id, ImageEvent.Encoding.PNG, new byte[0]);
            case 3 -> event(id, ImageEvent.Encoding.PNG, ImageEncoding.pngClaiming(100_000, 100_000));
            case 4 -> ImageEvent.newBuilder().setId(id).setEncoding(ImageEvent.Encoding.RAW_RGB8).setWidth(10)
                    .setHeight(10).setData(ByteString.copyFrom(new byte[7])).build().toByteArray();
            case 5 -> event("x".repeat(70_000), ImageEvent.Encoding.PNG, ImageEncoding.png(new RgbImage(32, 32, new byte[32 * 32 * 3])));
            case 6 -> new byte[0];
            default -> null;
        };
    }

    private static byte[] event(String id, ImageEvent.Encoding encoding, byte[] data) {
        return ImageEvent.newBuilder().setId(id).setEncoding(encoding).setData(ByteString.copyFrom(data)).setLabel("poison")
                .build().toByteArray();
    }
}
