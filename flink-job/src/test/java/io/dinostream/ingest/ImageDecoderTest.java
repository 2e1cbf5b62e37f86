package io.dinostream.ingest;

import static io.dinostream.ingest.DecoderFixtures.event;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.proto.DeadLetter.Reason;
import io.dinostream.proto.ImageEvent.Encoding;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.RgbImage;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    private static final DecodeLimits LIMITS = DecodeLimits.defaults();

    // ------------------------------------------------------------ round trips

    @Test
    void pngRoundTripIsExact() throws Exception {
        RgbImage image = DecoderFixtures.noise(37, 23, 1);
        byte[] png = ImageEncoding.png(image);

        assertEquals(image, ImageDecoder.decode(event(Encoding.PNG, png), LIMITS));
        assertEquals(image, ImageDecoder.decode(event(Encoding.PNG, png, 37, 23), LIMITS));
    }

    @Test
    void jpegRoundTripIsClose() throws Exception {
        RgbImage image = DecoderFixtures.smooth(64, 48);

        RgbImage decoded =
                ImageDecoder.decode(
                        event(Encoding.JPEG, ImageEncoding.jpeg(image, 0.95f), 64, 48), LIMITS);

        assertEquals(64, decoded.width());
        assertEquals(48, decoded.height());
        assertTrue(meanAbsoluteError(image, decoded) < 3.0, "mean error too big");
        assertTrue(maxAbsoluteError(image, decoded) < 48, "max error too big");
    }

    @Test
    void colourJpegDecodesToTheSamePixelsAsImageIoDefaultImage() throws Exception {
        // The decoder reads colour JPEGs straight into R, G, B order; ImageIO's own default is a
        // TYPE_3BYTE_BGR image. Both must hold libjpeg's very same pixels.
        for (long seed = 1; seed <= 3; seed++) {
            byte[] jpeg = ImageEncoding.jpeg(DecoderFixtures.noise(61, 37, seed), 0.9f);
            BufferedImage reference = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(jpeg));
            assertEquals(BufferedImage.TYPE_3BYTE_BGR, reference.getType());

            RgbImage decoded = ImageDecoder.decode(event(Encoding.JPEG, jpeg), LIMITS);

            byte[] expected = new byte[61 * 37 * 3];
            for (int y = 0, o = 0; y < 37; y++) {
                for (int x = 0; x < 61; x++) {
                    int argb = reference.getRGB(x, y);
                    expected[o++] = (byte) (argb >> 16);
                    expected[o++] = (byte) (argb >> 8);
                    expected[o++] = (byte) argb;
                }
            }
            assertArrayEquals(expected, decoded.toBytes(), "seed " + seed);
        }
    }

    @Test
    void grayPngIsReplicatedWithoutGammaShift() throws Exception {
        BufferedImage gray = new BufferedImage(16, 10, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = gray.getRaster();
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 16; x++) {
                raster.setSample(x, y, 0, x * 16 + y);
            }
        }

        RgbImage decoded =
                ImageDecoder.decode(event(Encoding.PNG, DecoderFixtures.png(gray)), LIMITS);

        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 16; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(x * 16 + y, decoded.get(x, y, c), "pixel " + x + "," + y);
                }
            }
        }
    }

    @Test
    void grayJpegIsReplicated() throws Exception {
        BufferedImage gray = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                gray.getRaster().setSample(x, y, 0, 40 + 10 * x);
            }
        }

        RgbImage decoded =
                ImageDecoder.decode(event(Encoding.JPEG, DecoderFixtures.jpeg(gray)), LIMITS);

        for (int x = 0; x < 16; x++) {
            assertEquals(decoded.get(x, 5, 0), decoded.get(x, 5, 1));
            assertEquals(decoded.get(x, 5, 0), decoded.get(x, 5, 2));
            assertTrue(Math.abs(decoded.get(x, 5, 0) - (40 + 10 * x)) <= 6, "pixel " + x);
        }
    }

    @Test
    void rgbaPngDropsAlpha() throws Exception {
        BufferedImage rgba = new BufferedImage(12, 9, BufferedImage.TYPE_4BYTE_ABGR);
        WritableRaster raster = rgba.getRaster();
        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 12; x++) {
                raster.setPixel(x, y, new int[] {x * 20, y * 25, 200 - x * 10, (x * 37) % 256});
            }
        }

        RgbImage decoded =
                ImageDecoder.decode(event(Encoding.PNG, DecoderFixtures.png(rgba)), LIMITS);

        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 12; x++) {
                // Colour survives even where alpha is 0: dropped, not composited.
                assertEquals(x * 20, decoded.get(x, y, 0));
                assertEquals(y * 25, decoded.get(x, y, 1));
                assertEquals(200 - x * 10, decoded.get(x, y, 2));
            }
        }
    }

    @Test
    void sixteenBitGrayPngIsScaledToEightBits() throws Exception {
        BufferedImage gray16 = new BufferedImage(10, 10, BufferedImage.TYPE_USHORT_GRAY);
        int[] values = {0, 1, 128, 129, 257, 32767, 32896, 65279, 65534, 65535};
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 10; x++) {
                gray16.getRaster().setSample(x, y, 0, values[x]);
            }
        }

        RgbImage decoded =
                ImageDecoder.decode(event(Encoding.PNG, DecoderFixtures.png(gray16)), LIMITS);

        for (int x = 0; x < 10; x++) {
            int expected = (int) Math.round(values[x] * 255.0 / 65535.0);
            assertEquals(expected, decoded.get(x, 3, 0), "sample " + values[x]);
            assertEquals(expected, decoded.get(x, 3, 2), "sample " + values[x]);
        }
    }

    @Test
    void sixteenBitRgbPngIsScaledToEightBits() throws Exception {
        ComponentColorModel cm =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_sRGB),
                        false,
                        false,
                        java.awt.Transparency.OPAQUE,
                        DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(9, 8);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 9; x++) {
                raster.setPixel(x, y, new int[] {x * 257 * 20, y * 257 * 30, 65535 - x * 1000});
            }
        }
        BufferedImage rgb16 = new BufferedImage(cm, raster, false, null);

        RgbImage decoded =
                ImageDecoder.decode(event(Encoding.PNG, DecoderFixtures.png(rgb16)), LIMITS);

        for (int x = 0; x < 9; x++) {
            assertEquals(x * 20, decoded.get(x, 2, 0));
            assertEquals(60, decoded.get(x, 2, 1));
            assertEquals((int) Math.round((65535 - x * 1000) * 255.0 / 65535), decoded.get(x, 2, 2));
        }
    }

    @Test
    void palettePngsAreLookedUp() throws Exception {
        byte[] r = new byte[16];
        byte[] g = new byte[16];
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            r[i] = (byte) (i * 16);
            g[i] = (byte) (255 - i * 16);
            b[i] = (byte) (i * 7 + 3);
        }
        IndexColorModel palette = new IndexColorModel(4, 16, r, g, b);
        // 4-bit packed and 8-bit indexed rasters.
        BufferedImage packed = new BufferedImage(11, 9, BufferedImage.TYPE_BYTE_BINARY, palette);
        IndexColorModel palette8 = new IndexColorModel(8, 16, r, g, b);
        BufferedImage indexed = new BufferedImage(11, 9, BufferedImage.TYPE_BYTE_INDEXED, palette8);
        for (BufferedImage image : new BufferedImage[] {packed, indexed}) {
            for (int y = 0; y < 9; y++) {
                for (int x = 0; x < 11; x++) {
                    image.getRaster().setSample(x, y, 0, (x + y) % 16);
                }
            }

            RgbImage decoded =
                    ImageDecoder.decode(event(Encoding.PNG, DecoderFixtures.png(image)), LIMITS);

            for (int y = 0; y < 9; y++) {
                for (int x = 0; x < 11; x++) {
                    int i = (x + y) % 16;
                    assertEquals(r[i] & 0xFF, decoded.get(x, y, 0));
                    assertEquals(g[i] & 0xFF, decoded.get(x, y, 1));
                    assertEquals(b[i] & 0xFF, decoded.get(x, y, 2));
                }
            }
        }
    }

    @Test
    void rawRgbIsTakenAsIs() throws Exception {
        RgbImage image = DecoderFixtures.noise(9, 8, 3);

        RgbImage decoded =
                ImageDecoder.decode(event(Encoding.RAW_RGB8, image.toBytes(), 9, 8), LIMITS);

        assertEquals(image, decoded);
    }

    @Test
    void rawGrayIsReplicated() throws Exception {
        byte[] gray = new byte[8 * 10];
        for (int i = 0; i < gray.length; i++) {
            gray[i] = (byte) (i * 3);
        }

        RgbImage decoded = ImageDecoder.decode(event(Encoding.RAW_GRAY8, gray, 8, 10), LIMITS);

        assertEquals(8, decoded.width());
        assertEquals(10, decoded.height());
        byte[] rgb = decoded.toBytes();
        for (int i = 0; i < gray.length; i++) {
            assertArrayEquals(
                    new byte[] {gray[i], gray[i], gray[i]}, Arrays.copyOfRange(rgb, 3 * i, 3 * i + 3));
        }
    }

    // ------------------------------------------------------------ rejections

    @Test
    void emptyDataIsRejected() {
        RejectedImageException e = reject(event(Encoding.PNG, new byte[0]), LIMITS);

        assertEquals(Reason.EMPTY_IMAGE, e.reason());
        assertContains(e, "empty");
    }

    @Test
    void tooManyBytesAreRejectedBeforeDecoding() {
        DecodeLimits limits = new DecodeLimits(1000, 8192, 8);

        RejectedImageException e = reject(event(Encoding.PNG, new byte[2000]), limits);

        assertEquals(Reason.TOO_LARGE, e.reason());
        assertContains(e, "2000 bytes", "1000", "ingest.max-bytes");
    }

    @Test
    void truncatedJpegIsUndecodable() {
        byte[] jpeg = ImageEncoding.jpeg(DecoderFixtures.noise(96, 64, 5), 0.9f);
        byte[] half = Arrays.copyOf(jpeg, jpeg.length / 2);

        RejectedImageException e = reject(event(Encoding.JPEG, half), LIMITS);

        assertEquals(Reason.UNDECODABLE_IMAGE, e.reason());
        assertContains(e, "truncated");
    }

    @Test
    void jpegCutInsideItsHeaderIsUndecodable() {
        byte[] jpeg = ImageEncoding.jpeg(DecoderFixtures.smooth(16, 16), 0.9f);

        RejectedImageException e = reject(event(Encoding.JPEG, Arrays.copyOf(jpeg, 100)), LIMITS);

        assertEquals(Reason.UNDECODABLE_IMAGE, e.reason());
    }

    @Test
    void truncatedPngIsUndecodable() {
        byte[] png = ImageEncoding.png(DecoderFixtures.noise(40, 40, 6));

        RejectedImageException e =
                reject(event(Encoding.PNG, Arrays.copyOf(png, png.length / 2)), LIMITS);

        assertEquals(Reason.UNDECODABLE_IMAGE, e.reason());
        assertContains(e, "PNG");
    }

    @Test
    void garbageLabelledPngIsUndecodable() {
        byte[] garbage = new byte[500];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = (byte) (i * 31 + 7);
        }

        RejectedImageException e = reject(event(Encoding.PNG, garbage), LIMITS);

        assertEquals(Reason.UNDECODABLE_IMAGE, e.reason());
        assertContains(e, "not a PNG file", "07 26 45");
    }

    @Test
    void pngDeclaredAsJpegIsUndecodableAndSaysSo() {
        byte[] png = ImageEncoding.png(DecoderFixtures.smooth(16, 16));

        RejectedImageException e = reject(event(Encoding.JPEG, png), LIMITS);

        assertEquals(Reason.UNDECODABLE_IMAGE, e.reason());
        assertContains(e, "not a JPEG file", "set encoding to PNG");
    }

    @Test
    void corruptPngBodyIsUndecodable() {
        byte[] png = ImageEncoding.png(DecoderFixtures.noise(40, 40, 7));
        // Keep signature and IHDR (33 bytes); scramble the compressed data.
        for (int i = 45; i < png.length - 12; i++) {
            png[i] = (byte) (png[i] * 13 + 1);
        }

        RejectedImageException e = reject(event(Encoding.PNG, png), LIMITS);

        assertEquals(Reason.UNDECODABLE_IMAGE, e.reason());
    }

    @Test
    void hugeClaimedSidesAreRejectedFromTheHeaderWithoutAllocating() {
        byte[] bomb = ImageEncoding.pngClaiming(100_000, 100_000);
        ImageEvent event = event(Encoding.PNG, bomb);
        com.sun.management.ThreadMXBean threads =
                ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                        ? t
                        : null;
        long before = allocated(threads);

        RejectedImageException e = reject(event, LIMITS);

        long allocatedBytes = allocated(threads) - before;
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertContains(e, "100000x100000", "8192", "ingest.max-side");
        if (before >= 0) {
            assertTrue(allocatedBytes < 16 << 20, "decoder allocated " + allocatedBytes + " bytes");
        }
    }

    @Test
    void sideJustOverTheLimitIsRejectedBeforeDecoding() {
        // 20000 x 20000 RGB would need 1.2 GB; the header check must come first.
        RejectedImageException e =
                reject(event(Encoding.PNG, ImageEncoding.pngClaiming(20_000, 9)), LIMITS);

        assertEquals(Reason.TOO_LARGE, e.reason());
        assertContains(e, "20000x9");
    }

    @Test
    void tallRawImageIsTooLarge() {
        RejectedImageException e =
                reject(event(Encoding.RAW_GRAY8, new byte[9000 * 8], 8, 9000), LIMITS);

        assertEquals(Reason.TOO_LARGE, e.reason());
        assertContains(e, "8x9000", "8192", "ingest.max-side");
    }

    @Test
    void rawWithWrongLengthHasBadDimensions() {
        RejectedImageException e =
                reject(event(Encoding.RAW_RGB8, new byte[299], 10, 10), LIMITS);

        assertEquals(Reason.BAD_DIMENSIONS, e.reason());
        assertContains(e, "10x10", "300", "299");

        RejectedImageException gray =
                reject(event(Encoding.RAW_GRAY8, new byte[300], 10, 10), LIMITS);
        assertEquals(Reason.BAD_DIMENSIONS, gray.reason());
        assertContains(gray, "100", "300");
    }

    @Test
    void rawWithoutDimensionsHasBadDimensions() {
        RejectedImageException e = reject(event(Encoding.RAW_GRAY8, new byte[100], 0, 10), LIMITS);

        assertEquals(Reason.BAD_DIMENSIONS, e.reason());
        assertContains(e, "0x10", "width and height");
    }

    @Test
    void rawWithHugeUnsignedDimensionsHasBadDimensions() {
        // uint32 width 4294967295 arrives as -1 in Java.
        RejectedImageException e = reject(event(Encoding.RAW_RGB8, new byte[300], -1, -1), LIMITS);

        assertEquals(Reason.BAD_DIMENSIONS, e.reason());
        assertContains(e, "4294967295x4294967295");
    }

    @Test
    void declaredSizeMustMatchTheFile() {
        byte[] png = ImageEncoding.png(DecoderFixtures.smooth(20, 10));

        RejectedImageException e = reject(event(Encoding.PNG, png, 20, 11), LIMITS);

        assertEquals(Reason.BAD_DIMENSIONS, e.reason());
        assertContains(e, "20x11", "20x10");
    }

    @Test
    void unspecifiedEncodingIsUnsupported() {
        RejectedImageException e = reject(event(Encoding.ENCODING_UNSPECIFIED, new byte[10]), LIMITS);

        assertEquals(Reason.UNSUPPORTED_ENCODING, e.reason());
        assertContains(e, "ENCODING_UNSPECIFIED", "JPEG, PNG");
    }

    @Test
    void unknownEncodingNumberIsUnsupported() {
        ImageEvent event = event(Encoding.PNG, new byte[10]).toBuilder().setEncodingValue(42).build();

        RejectedImageException e = reject(event, LIMITS);

        assertEquals(Reason.UNSUPPORTED_ENCODING, e.reason());
        assertContains(e, "42");
    }

    @Test
    void tinyImagesAreTooSmall() {
        byte[] png = ImageEncoding.png(DecoderFixtures.smooth(4, 12));

        RejectedImageException e = reject(event(Encoding.PNG, png), LIMITS);

        assertEquals(Reason.TOO_SMALL, e.reason());
        assertContains(e, "4x12", "8 px", "ingest.min-side");

        RejectedImageException raw = reject(event(Encoding.RAW_GRAY8, new byte[21], 7, 3), LIMITS);
        assertEquals(Reason.TOO_SMALL, raw.reason());
    }

    // ------------------------------------------------------------ colour spaces it does not convert

    @Test
    void cmykJpegIsRejectedInsteadOfTrainedWithWrongColours() {
        RejectedImageException e =
                reject(event(Encoding.JPEG, DecoderFixtures.fourComponentJpeg(16, 16, -1)), LIMITS);

        assertEquals(Reason.UNSUPPORTED_COLOR_SPACE, e.reason());
        assertContains(e, "CMYK JPEG is not supported; convert to RGB");
    }

    @Test
    void adobeCmykJpegIsRejected() {
        RejectedImageException e =
                reject(event(Encoding.JPEG, DecoderFixtures.fourComponentJpeg(16, 16, 0)), LIMITS);

        assertEquals(Reason.UNSUPPORTED_COLOR_SPACE, e.reason());
        assertContains(e, "CMYK JPEG is not supported; convert to RGB");
    }

    @Test
    void ycckJpegIsRejectedNamingYcck() {
        RejectedImageException e =
                reject(event(Encoding.JPEG, DecoderFixtures.fourComponentJpeg(16, 16, 2)), LIMITS);

        assertEquals(Reason.UNSUPPORTED_COLOR_SPACE, e.reason());
        assertContains(e, "YCCK JPEG is not supported; convert to RGB");
    }

    @Test
    void rgbJpegWithAnAdobeSegmentStillDecodes() throws Exception {
        byte[] jpeg = ImageEncoding.jpeg(DecoderFixtures.smooth(16, 16), 0.95f);
        byte[] withAdobe = new byte[jpeg.length + 16];
        byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 1};
        System.arraycopy(jpeg, 0, withAdobe, 0, 2);
        System.arraycopy(app14, 0, withAdobe, 2, app14.length);
        System.arraycopy(jpeg, 2, withAdobe, 18, jpeg.length - 2);

        assertEquals(16, ImageDecoder.decode(event(Encoding.JPEG, withAdobe), LIMITS).width());
    }

    // ------------------------------------------------------------ helpers

    private static RejectedImageException reject(ImageEvent event, DecodeLimits limits) {
        return assertThrows(RejectedImageException.class, () -> ImageDecoder.decode(event, limits));
    }

    private static void assertContains(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(
                    e.getMessage().contains(part),
                    "message should mention '" + part + "': " + e.getMessage());
        }
    }

    private static long allocated(com.sun.management.ThreadMXBean threads) {
        if (threads == null || !threads.isThreadAllocatedMemorySupported()) {
            return -1;
        }
        if (!threads.isThreadAllocatedMemoryEnabled()) {
            threads.setThreadAllocatedMemoryEnabled(true);
        }
        return threads.getCurrentThreadAllocatedBytes();
    }

    private static double meanAbsoluteError(RgbImage a, RgbImage b) {
        byte[] x = a.toBytes();
        byte[] y = b.toBytes();
        long sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += Math.abs((x[i] & 0xFF) - (y[i] & 0xFF));
        }
        return (double) sum / x.length;
    }

    private static int maxAbsoluteError(RgbImage a, RgbImage b) {
        byte[] x = a.toBytes();
        byte[] y = b.toBytes();
        int max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs((x[i] & 0xFF) - (y[i] & 0xFF)));
        }
        return max;
    }
}
