package io.dinostream.ingest;

import com.google.protobuf.ByteString;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Images, encoded files and events shared by the ingest tests. */
public final class DecoderFixtures {

    private DecoderFixtures() {}

    /** A smooth, colourful image (JPEG-friendly), every channel different. */
    static RgbImage smooth(int width, int height) {
        byte[] px = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                px[i] = (byte) (255 * x / (width - 1));
                px[i + 1] = (byte) (255 * y / (height - 1));
                px[i + 2] = (byte) (128 + 100 * Math.sin((x + y) / 9.0));
            }
        }
        return new RgbImage(width, height, px);
    }

    /** Independent pseudo-random bytes: incompressible, so a JPEG of it is mostly scan data. */
    public static RgbImage noise(int width, int height, long seed) {
        byte[] px = new byte[width * height * 3];
        long s = seed;
        for (int i = 0; i < px.length; i++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            px[i] = (byte) (s >>> 56);
        }
        return new RgbImage(width, height, px);
    }

    static ImageEvent event(ImageEvent.Encoding encoding, byte[] data) {
        return ImageEvent.newBuilder()
                .setId("test")
                .setEncoding(encoding)
                .setData(ByteString.copyFrom(data))
                .build();
    }

    static ImageEvent event(ImageEvent.Encoding encoding, byte[] data, int width, int height) {
        return event(encoding, data).toBuilder().setWidth(width).setHeight(height).build();
    }

    /** Any BufferedImage as a PNG file, in whatever PNG colour type the JDK writer picks. */
    static byte[] png(BufferedImage image) {
        return ImageEncoding.write(image, "png", null);
    }

    static byte[] jpeg(BufferedImage image) {
        return ImageEncoding.write(image, "jpeg", 0.95f);
    }

    /**
     * A four-component JPEG (what the JDK writer makes of a 4-band raster), {@code adobeTransform}
     * naming its colour space in an Adobe APP14 segment as Photoshop writes it: 0 CMYK, 2 YCCK, or
     * -1 for no APP14 segment at all (then decoders take four components for CMYK).
     */
    public static byte[] fourComponentJpeg(int width, int height, int adobeTransform) {
        java.awt.image.WritableRaster raster = java.awt.image.Raster.createInterleavedRaster(
                java.awt.image.DataBuffer.TYPE_BYTE, width, height, 4, null);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(x, y, new int[] {x * 8, y * 8, 40, 213});
            }
        }
        javax.imageio.ImageWriter writer = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream stream =
                new javax.imageio.stream.MemoryCacheImageOutputStream(written)) {
            writer.setOutput(stream);
            writer.write(null, new javax.imageio.IIOImage(raster, null, null), null);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        byte[] jpeg = written.toByteArray();
        if (adobeTransform < 0) {
            return jpeg;
        }
        ByteBuffer app14 = ByteBuffer.allocate(16);
        app14.put((byte) 0xFF).put((byte) 0xEE).putShort((short) 14);
        app14.put("Adobe".getBytes(StandardCharsets.US_ASCII)).putShort((short) 100);
        app14.putShort((short) 0).putShort((short) 0).put((byte) adobeTransform);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2); // SOI
        out.writeBytes(app14.array());
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
