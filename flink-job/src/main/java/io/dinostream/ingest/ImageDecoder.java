package io.dinostream.ingest;

import com.google.protobuf.ByteString;
import io.dinostream.proto.DeadLetter.Reason;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.RgbImage;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns the bytes of an {@link ImageEvent} into an 8-bit {@link RgbImage}, or says precisely why it
 * cannot, as a {@link RejectedImageException} whose reason and message go to the dead-letter topic.
 *
 * <p>Input is untrusted, so every bound is checked before memory is committed: the byte count
 * before anything is parsed, and for JPEG and PNG the width and height from the file header before
 * a single pixel is decoded (a 100 kB PNG can claim 100000 × 100000 pixels). Colour conversion
 * follows PIL's {@code convert("RGB")}: gray is replicated to three channels, alpha is dropped
 * (not composited), palettes are looked up, 16-bit samples are scaled to 8 bits, and embedded
 * colour profiles are ignored for gray and RGB images.
 *
 * <p>Stateless and thread-safe: each call uses its own ImageIO reader and in-memory stream (never
 * ImageIO's temporary-file cache).
 */
public final class ImageDecoder {

    private ImageDecoder() {}

    /** Which JPEG decoder this JVM uses, for benchmark reports. */
    public static String jpegDecoderName() {
        return "ImageIO (the JDK's libjpeg)";
    }

    /**
     * Decodes the event's image.
     *
     * @throws RejectedImageException with reason EMPTY_IMAGE, TOO_LARGE, UNSUPPORTED_ENCODING,
     *     BAD_DIMENSIONS, UNDECODABLE_IMAGE, TOO_SMALL or UNSUPPORTED_COLOR_SPACE (CMYK or YCCK JPEG)
     */
    public static RgbImage decode(ImageEvent event, DecodeLimits limits)
            throws RejectedImageException {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(limits, "limits");
        ByteString data = event.getData();
        if (data.isEmpty()) {
            throw new RejectedImageException(
                    Reason.EMPTY_IMAGE,
                    "the event has no image bytes (data is empty); the producer must put the"
                            + " encoded image in data");
        }
        if (data.size() > limits.maxBytes()) {
            throw new RejectedImageException(
                    Reason.TOO_LARGE,
                    "image data is "
                            + data.size()
                            + " bytes, over the "
                            + limits.maxBytes()
                            + " byte limit set by "
                            + DecodeLimits.MAX_BYTES_KEY
                            + "; re-encode or downscale the image, or raise "
                            + DecodeLimits.MAX_BYTES_KEY);
        }
        return switch (event.getEncoding()) {
            case RAW_RGB8 -> decodeRaw(event, 3, limits);
            case RAW_GRAY8 -> decodeRaw(event, 1, limits);
            case JPEG -> decodeFile(event, Format.JPEG, limits);
            case PNG -> decodeFile(event, Format.PNG, limits);
            default -> throw new RejectedImageException(
                    Reason.UNSUPPORTED_ENCODING,
                    "encoding "
                            + encodingName(event)
                            + " is not supported; set encoding to JPEG, PNG, RAW_RGB8 or"
                            + " RAW_GRAY8");
        };
    }

    // ---------------------------------------------------------------- raw pixels

    private static RgbImage decodeRaw(ImageEvent event, int channels, DecodeLimits limits)
            throws RejectedImageException {
        String encoding = event.getEncoding().name();
        long width = Integer.toUnsignedLong(event.getWidth());
        long height = Integer.toUnsignedLong(event.getHeight());
        if (width == 0 || height == 0) {
            throw new RejectedImageException(
                    Reason.BAD_DIMENSIONS,
                    encoding
                            + " needs width and height, got "
                            + width
                            + "x"
                            + height
                            + "; set both to the image size in pixels");
        }
        long actual = event.getData().size();
        // width, height < 2^32 and channels <= 3, so the product can overflow a long: compare
        // through division instead (actual > 0 here).
        boolean matches =
                actual % channels == 0
                        && (actual / channels) % width == 0
                        && (actual / channels) / width == height;
        if (!matches) {
            String expected =
                    BigInteger.valueOf(width)
                            .multiply(BigInteger.valueOf(height))
                            .multiply(BigInteger.valueOf(channels))
                            .toString();
            throw new RejectedImageException(
                    Reason.BAD_DIMENSIONS,
                    "a "
                            + width
                            + "x"
                            + height
                            + " "
                            + encoding
                            + " image needs "
                            + width
                            + "*"
                            + height
                            + (channels == 3 ? "*3" : "")
                            + " = "
                            + expected
                            + " bytes, but data has "
                            + actual
                            + "; check width, height and encoding");
        }
        checkSides(width, height, limits);
        int w = (int) width;
        int h = (int) height;
        byte[] bytes = event.getData().toByteArray();
        if (channels == 3) {
            return new RgbImage(w, h, bytes);
        }
        byte[] rgb = new byte[bytes.length * 3];
        for (int i = 0, o = 0; i < bytes.length; i++, o += 3) {
            byte v = bytes[i];
            rgb[o] = v;
            rgb[o + 1] = v;
            rgb[o + 2] = v;
        }
        return new RgbImage(w, h, rgb);
    }

    // ---------------------------------------------------------------- JPEG and PNG

    /** The file formats read with ImageIO. */
    private enum Format {
        JPEG("jpeg"),
        PNG("png");

        private final String imageIoName;

        Format(String imageIoName) {
            this.imageIoName = imageIoName;
        }

        ImageReader newReader() {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(imageIoName);
            if (!readers.hasNext()) {
                throw new IllegalStateException(
                        "this JVM has no ImageIO reader for " + name() + " (java.desktop module)");
            }
            return readers.next();
        }
    }

    private static RgbImage decodeFile(ImageEvent event, Format format, DecodeLimits limits)
            throws RejectedImageException {
        ImageReader reader = format.newReader();
        try (ImageInputStream in = new MemoryCacheImageInputStream(event.getData().newInput())) {
            if (!reader.getOriginatingProvider().canDecodeInput(in)) {
                throw new RejectedImageException(
                        Reason.UNDECODABLE_IMAGE,
                        "data is not a "
                                + format
                                + " file although encoding says "
                                + format
                                + "; "
                                + sniff(event.getData()));
            }
            reader.setInput(in, true, true);
            int width;
            int height;
            try {
                width = reader.getWidth(0);
                height = reader.getHeight(0);
            } catch (IOException | RuntimeException e) {
                throw new RejectedImageException(
                        Reason.UNDECODABLE_IMAGE,
                        "could not read the " + format + " header: " + describe(e),
                        e);
            }
            checkDeclared(event, width, height);
            checkSides(width, height, limits);
            if (format == Format.JPEG) {
                checkColorSpace(event.getData());
            }

            List<String> warnings = new ArrayList<>();
            IIOReadWarningListener listener = (source, warning) -> warnings.add(warning);
            reader.addIIOReadWarningListener(listener);
            BufferedImage image;
            // A colour JPEG decodes straight into the RgbImage's array (see rgbDestination).
            byte[] rgb = format == Format.JPEG && isThreeBandRgb(reader)
                    ? new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)]
                    : null;
            try {
                if (rgb != null) {
                    ImageReadParam param = reader.getDefaultReadParam();
                    param.setDestination(rgbDestination(width, height, rgb));
                    image = reader.read(0, param);
                } else {
                    image = reader.read(0);
                }
            } catch (IOException | RuntimeException e) {
                throw new RejectedImageException(
                        Reason.UNDECODABLE_IMAGE,
                        "could not decode the " + format + " image data: " + describe(e),
                        e);
            }
            for (String warning : warnings) {
                // The JDK's JPEG decoder pads missing scan data with gray and only warns; a
                // half-received image must not be trained on. Other warnings (extraneous bytes,
                // a missing end marker after complete data) leave the pixels intact.
                if (warning != null && warning.toLowerCase(Locale.ROOT).contains("premature end")) {
                    throw new RejectedImageException(
                            Reason.UNDECODABLE_IMAGE,
                            "the "
                                    + format
                                    + " data ends before the image does (decoder: "
                                    + warning
                                    + "); the file was probably truncated, resend it whole");
                }
            }
            if (image.getWidth() != width || image.getHeight() != height) {
                throw new RejectedImageException(
                        Reason.UNDECODABLE_IMAGE,
                        "the "
                                + format
                                + " header says "
                                + width
                                + "x"
                                + height
                                + " but "
                                + image.getWidth()
                                + "x"
                                + image.getHeight()
                                + " pixels were decoded");
            }
            return rgb != null ? new RgbImage(width, height, rgb) : toRgb(image);
        } catch (IOException e) {
            // Only closing an in-memory stream can get here.
            throw new RejectedImageException(
                    Reason.UNDECODABLE_IMAGE,
                    "could not read the " + format + " data: " + describe(e),
                    e);
        } finally {
            reader.dispose();
        }
    }

    /** Whether the reader decodes to three RGB bands (a YCbCr or RGB JPEG; not gray, CMYK or YCCK). */
    private static boolean isThreeBandRgb(ImageReader reader) throws RejectedImageException {
        try {
            ImageTypeSpecifier raw = reader.getRawImageType(0);
            return raw != null
                    && raw.getNumBands() == 3
                    && raw.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_RGB;
        } catch (IOException | RuntimeException e) {
            throw new RejectedImageException(
                    Reason.UNDECODABLE_IMAGE, "could not read the JPEG header: " + describe(e), e);
        }
    }

    /**
     * An 8-bit sRGB image over {@code rgb} with the bands in R, G, B order, as the decode
     * destination. ImageIO's JPEG reader copies each decoded row into its destination; its default,
     * TYPE_3BYTE_BGR, makes that copy reorder every pixel and then needs a second pass into RGB
     * order, while this layout takes one array copy per row and no conversion. The pixel values
     * are the same libjpeg output either way.
     */
    private static BufferedImage rgbDestination(int width, int height, byte[] rgb) {
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(rgb, rgb.length),
                width, height, width * 3, 3, new int[] {0, 1, 2}, null);
        ColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        return new BufferedImage(model, raster, false, null);
    }

    /** CMYK and YCCK JPEGs would decode to wrong colours without a warning; they are refused. */
    private static void checkColorSpace(ByteString jpeg) throws RejectedImageException {
        var unsupported = JpegColorSpace.unsupported(jpeg);
        if (unsupported.isPresent()) {
            throw new RejectedImageException(
                    Reason.UNSUPPORTED_COLOR_SPACE,
                    unsupported.get()
                            + " JPEG is not supported; convert to RGB before sending (e.g. PIL's"
                            + " image.convert(\"RGB\") or ImageMagick's -colorspace sRGB). The job"
                            + " would otherwise train on wrong colours.");
        }
    }

    /** Declared width/height are optional hints for files, but must match when set. */
    private static void checkDeclared(ImageEvent event, int width, int height)
            throws RejectedImageException {
        long declaredW = Integer.toUnsignedLong(event.getWidth());
        long declaredH = Integer.toUnsignedLong(event.getHeight());
        if ((declaredW != 0 && declaredW != width) || (declaredH != 0 && declaredH != height)) {
            throw new RejectedImageException(
                    Reason.BAD_DIMENSIONS,
                    "the event declares "
                            + declaredW
                            + "x"
                            + declaredH
                            + " but the "
                            + event.getEncoding().name()
                            + " image is "
                            + width
                            + "x"
                            + height
                            + "; fix width/height or leave them 0 (unknown)");
        }
    }

    private static void checkSides(long width, long height, DecodeLimits limits)
            throws RejectedImageException {
        if (width > limits.maxSide() || height > limits.maxSide()) {
            throw new RejectedImageException(
                    Reason.TOO_LARGE,
                    "image is "
                            + width
                            + "x"
                            + height
                            + " pixels, over the "
                            + limits.maxSide()
                            + " px limit set by "
                            + DecodeLimits.MAX_SIDE_KEY
                            + "; downscale it before sending or raise "
                            + DecodeLimits.MAX_SIDE_KEY);
        }
        if (width < limits.minSide() || height < limits.minSide()) {
            throw new RejectedImageException(
                    Reason.TOO_SMALL,
                    "image is "
                            + width
                            + "x"
                            + height
                            + " pixels, under the "
                            + limits.minSide()
                            + " px minimum set by "
                            + DecodeLimits.MIN_SIDE_KEY
                            + "; send larger images or lower "
                            + DecodeLimits.MIN_SIDE_KEY);
        }
    }

    private static String encodingName(ImageEvent event) {
        ImageEvent.Encoding encoding = event.getEncoding();
        return encoding == ImageEvent.Encoding.UNRECOGNIZED
                ? "number " + event.getEncodingValue() + " (unknown to this job)"
                : encoding.name();
    }

    /** What the first bytes look like, to point at a wrong encoding field. */
    private static String sniff(ByteString data) {
        if (startsWith(data, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return "the bytes look like a PNG file: set encoding to PNG";
        }
        if (startsWith(data, 0xFF, 0xD8, 0xFF)) {
            return "the bytes look like a JPEG file: set encoding to JPEG";
        }
        StringBuilder head = new StringBuilder();
        for (int i = 0; i < Math.min(8, data.size()); i++) {
            head.append(String.format(Locale.ROOT, "%02X ", data.byteAt(i) & 0xFF));
        }
        return "it starts with bytes "
                + head.toString().trim()
                + ", neither a PNG nor a JPEG signature; check what the producer sends";
    }

    private static boolean startsWith(ByteString data, int... prefix) {
        if (data.size() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((data.byteAt(i) & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The exception's message and its causes', e.g. "Error reading PNG image data: EOFException". */
    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (Throwable t = e; t != null && depth < 4; t = t.getCause(), depth++) {
            String part =
                    t.getMessage() == null || t.getMessage().isBlank()
                            ? t.getClass().getSimpleName()
                            : t.getMessage();
            if (text.indexOf(part) < 0) {
                if (text.length() > 0) {
                    text.append(": ");
                }
                text.append(part);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return text.toString();
    }

    // ---------------------------------------------------------------- conversion to RGB

    /**
     * Converts a decoded image to 8-bit RGB without per-pixel objects: interleaved byte rasters
     * are read straight from their array, other component and palette rasters one row at a time,
     * and anything else through {@link BufferedImage#getRGB(int, int, int, int, int[], int, int)}
     * rows (which converts to sRGB).
     */
    static RgbImage toRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        ColorModel cm = image.getColorModel();
        WritableRaster raster = image.getRaster();
        if (cm instanceof IndexColorModel icm) {
            fromPalette(raster, icm, w, h, out);
        } else if (isPlainComponent(cm)) {
            int colors = cm.getNumColorComponents();
            if (cm.getComponentSize(0) != 8 || !fromInterleavedBytes(raster, colors, w, h, out)) {
                fromComponentRows(raster, colors, cm.getComponentSize(0), w, h, out);
            }
        } else {
            fromArgbRows(image, w, h, out);
        }
        return new RgbImage(w, h, out);
    }

    /** Gray or RGB samples of up to 16 bits, alpha (if any) last and not premultiplied. */
    private static boolean isPlainComponent(ColorModel cm) {
        if (!(cm instanceof ComponentColorModel) || cm.isAlphaPremultiplied()) {
            return false;
        }
        int type = cm.getTransferType();
        if (type != DataBuffer.TYPE_BYTE && type != DataBuffer.TYPE_USHORT) {
            return false;
        }
        int colorType = cm.getColorSpace().getType();
        int colors = cm.getNumColorComponents();
        if (!((colorType == ColorSpace.TYPE_RGB && colors == 3)
                || (colorType == ColorSpace.TYPE_GRAY && colors == 1))) {
            return false;
        }
        int bits = cm.getComponentSize(0);
        for (int c = 1; c < colors; c++) {
            if (cm.getComponentSize(c) != bits) {
                return false;
            }
        }
        return bits >= 1 && bits <= 16;
    }

    private static boolean fromInterleavedBytes(
            WritableRaster raster, int colors, int w, int h, byte[] out) {
        if (!(raster.getDataBuffer() instanceof DataBufferByte buffer)
                || !(raster.getSampleModel() instanceof ComponentSampleModel sm)
                || buffer.getNumBanks() != 1
                || sm.getNumBands() != raster.getNumBands()
                || raster.getSampleModel().getSampleSize(0) != 8) {
            return false;
        }
        for (int bank : sm.getBankIndices()) {
            if (bank != 0) {
                return false;
            }
        }
        byte[] data = buffer.getData();
        int pixelStride = sm.getPixelStride();
        int scanlineStride = sm.getScanlineStride();
        int[] bandOffsets = sm.getBandOffsets();
        int base =
                buffer.getOffset()
                        - raster.getSampleModelTranslateY() * scanlineStride
                        - raster.getSampleModelTranslateX() * pixelStride;
        int o = 0;
        if (colors == 3) {
            int r = bandOffsets[0];
            int g = bandOffsets[1];
            int b = bandOffsets[2];
            for (int y = 0; y < h; y++) {
                int p = base + (raster.getMinY() + y) * scanlineStride
                        + raster.getMinX() * pixelStride;
                for (int x = 0; x < w; x++, p += pixelStride) {
                    out[o++] = data[p + r];
                    out[o++] = data[p + g];
                    out[o++] = data[p + b];
                }
            }
        } else {
            int v = bandOffsets[0];
            for (int y = 0; y < h; y++) {
                int p = base + (raster.getMinY() + y) * scanlineStride
                        + raster.getMinX() * pixelStride;
                for (int x = 0; x < w; x++, p += pixelStride) {
                    byte s = data[p + v];
                    out[o++] = s;
                    out[o++] = s;
                    out[o++] = s;
                }
            }
        }
        return true;
    }

    private static void fromComponentRows(
            WritableRaster raster, int colors, int bits, int w, int h, byte[] out) {
        int bands = raster.getNumBands();
        int max = (1 << bits) - 1;
        int[] row = new int[w * bands];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0, p = 0; x < w; x++, p += bands) {
                if (colors == 3) {
                    out[o++] = scale(row[p], max);
                    out[o++] = scale(row[p + 1], max);
                    out[o++] = scale(row[p + 2], max);
                } else {
                    byte s = scale(row[p], max);
                    out[o++] = s;
                    out[o++] = s;
                    out[o++] = s;
                }
            }
        }
    }

    /** A sample in [0, max] to [0, 255], rounded to nearest (16 bits: v / 257). */
    private static byte scale(int v, int max) {
        return max == 255 ? (byte) v : (byte) ((v * 255 + max / 2) / max);
    }

    private static void fromPalette(WritableRaster raster, IndexColorModel icm, int w, int h,
            byte[] out) {
        int size = Math.max(icm.getMapSize(), 1 << Math.min(16, icm.getPixelSize()));
        byte[] reds = new byte[size];
        byte[] greens = new byte[size];
        byte[] blues = new byte[size];
        // Entries past the map size (out-of-range indices in a broken file) stay black.
        icm.getReds(reds);
        icm.getGreens(greens);
        icm.getBlues(blues);
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                int i = row[x];
                if (i < 0 || i >= size) {
                    i = 0;
                }
                out[o++] = reds[i];
                out[o++] = greens[i];
                out[o++] = blues[i];
            }
        }
    }

    private static void fromArgbRows(BufferedImage image, int w, int h, byte[] out) {
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                out[o++] = (byte) (argb >>> 16);
                out[o++] = (byte) (argb >>> 8);
                out[o++] = (byte) argb;
            }
        }
    }
}
