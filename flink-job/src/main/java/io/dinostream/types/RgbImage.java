package io.dinostream.types;

import java.util.Arrays;

/**
 * An 8-bit RGB image, row-major, channels interleaved (HWC), as PIL's "RGB" mode. Immutable: the
 * constructor copies nothing, so callers hand over an array they no longer touch; accessors never
 * expose the array for writing.
 */
public final class RgbImage {

    private final int width;
    private final int height;
    private final byte[] rgb;

    public RgbImage(int width, int height, byte[] rgb) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException(
                    "image size must be positive, got " + width + "x" + height);
        }
        if ((long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException(
                    "a "
                            + width
                            + "x"
                            + height
                            + " RGB image needs "
                            + ((long) width * height * 3)
                            + " bytes, got "
                            + rgb.length);
        }
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Channel c (0 red, 1 green, 2 blue) of pixel (x, y), 0..255. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    /**
     * Copies count pixels of row y, from column x on, into dst at offset (3 bytes a pixel, R G B),
     * for loops that read whole rows.
     */
    public void copyRow(int x, int y, int count, byte[] dst, int offset) {
        if (x < 0 || y < 0 || count < 0 || x + count > width || y >= height) {
            throw new IndexOutOfBoundsException("pixels " + x + ".." + (x + count - 1) + " of row " + y
                    + " are outside a " + width + "x" + height + " image");
        }
        System.arraycopy(rgb, (y * width + x) * 3, dst, offset, count * 3);
    }

    /** Number of bytes: width × height × 3. */
    public int byteSize() {
        return rgb.length;
    }

    /** Copies the HWC bytes into dst at offset. */
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(rgb, 0, dst, offset, rgb.length);
    }

    /** A copy of the HWC bytes. */
    public byte[] toBytes() {
        return rgb.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other
                && other.width == width
                && other.height == height
                && Arrays.equals(other.rgb, rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
