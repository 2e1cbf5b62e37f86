package io.dinostream.chaos;

import com.google.protobuf.ByteString;
import io.dinostream.proto.ImageEvent;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

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
            case 3 -> event(id, ImageEvent.Encoding.PNG, pngClaiming(100_000, 100_000));
            case 4 -> ImageEvent.newBuilder().setId(id).setEncoding(ImageEvent.Encoding.RAW_RGB8).setWidth(10)
                    .setHeight(10).setData(ByteString.copyFrom(new byte[7])).build().toByteArray();
            case 5 -> event("x".repeat(70_000), ImageEvent.Encoding.PNG, png(32, 32));
            case 6 -> new byte[0];
            default -> null;
        };
    }

    private static byte[] event(String id, ImageEvent.Encoding encoding, byte[] data) {
        return ImageEvent.newBuilder().setId(id).setEncoding(encoding).setData(ByteString.copyFrom(data)).setLabel("poison")
                .build().toByteArray();
    }

    static byte[] png(int width, int height) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A 1×1 PNG whose header (IHDR, with a valid CRC) claims another size. */
    static byte[] pngClaiming(int width, int height) {
        byte[] png = png(1, 1);
        byte[] out = Arrays.copyOf(png, png.length);
        ByteBuffer b = ByteBuffer.wrap(out);
        b.putInt(16, width);
        b.putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(out, 12, 17); // chunk type and its 13 data bytes
        b.putInt(29, (int) crc.getValue());
        return out;
    }
}
