package io.dinostream.features;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * numpy's {@code .npz} files, as {@code numpy.savez} writes and {@code numpy.load} reads them: a
 * zip archive with one entry {@code NAME.npy} per array, each in the {@code .npy} format of
 * {@code numpy.lib.format} (a magic string, a version, a header that is a Python dict literal with
 * {@code descr}, {@code fortran_order} and {@code shape}, then the raw elements). Writes version 1.0
 * headers into stored (uncompressed) entries, as {@code numpy.savez} does; reads versions 1 to 3,
 * stored or deflated ({@code numpy.savez_compressed}).
 *
 * <p>Holds only what features files need: float32 and float64 numbers, and unicode ({@code U}) or
 * byte ({@code S}) strings. Object arrays (Python lists in an array) need pickle and are refused.
 */
final class Npz {

    /** One array as stored: its numpy dtype string, memory order, shape and element bytes. */
    record Array(String descr, boolean fortranOrder, long[] shape, byte[] data) {

        long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};
    /** numpy pads headers so that the data starts at a multiple of 64 bytes. */
    private static final int ALIGNMENT = 64;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npz() {}

    /** Whether the file starts as a zip archive does, or is a cut-off start of one. */
    static boolean looksLikeZip(byte[] start) {
        int n = Math.min(start.length, ZIP_MAGIC.length);
        return n > 0 && Arrays.equals(start, 0, n, ZIP_MAGIC, 0, n);
    }

    /** A little-endian float32 array of this shape. */
    static Array float32(float[] values, long... shape) {
        ByteBuffer data = ByteBuffer.allocate(Math.multiplyExact(values.length, Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        return new Array("<f4", false, shape, data.array());
    }

    /**
     * A 1-D unicode array as numpy makes of Python strings: UTF-32LE, every element as long as the
     * longest (at least one character), padded with NUL characters. numpy drops trailing NULs when
     * it reads an element, so a string cannot end in one.
     */
    static Array unicode(String[] values) {
        int width = 1;
        for (String v : values) {
            width = Math.max(width, v.codePointCount(0, v.length()));
        }
        ByteBuffer data = ByteBuffer.allocate(Math.multiplyExact(Math.multiplyExact(values.length, width), 4))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (String v : values) {
            int[] points = v.codePoints().toArray();
            for (int i = 0; i < width; i++) {
                data.putInt(i < points.length ? points[i] : 0);
            }
        }
        return new Array("<U" + width, false, new long[] {values.length}, data.array());
    }

    /** Writes the arrays to path as NAME.npy entries, in order, replacing any file there. */
    static void write(Path path, Map<String, Array> arrays) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(path), 1 << 16))) {
            for (Map.Entry<String, Array> named : arrays.entrySet()) {
                byte[] header = header(named.getValue());
                byte[] data = named.getValue().data();
                CRC32 crc = new CRC32();
                crc.update(header);
                crc.update(data);
                ZipEntry entry = new ZipEntry(named.getKey() + ".npy");
                entry.setMethod(ZipEntry.STORED);
                entry.setSize((long) header.length + data.length);
                entry.setCompressedSize(entry.getSize());
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(header);
                zip.write(data);
                zip.closeEntry();
            }
        }
    }

    private static byte[] header(Array array) {
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < array.shape().length; i++) {
            shape.append(i == 0 ? "" : ", ").append(array.shape()[i]);
        }
        shape.append(array.shape().length == 1 ? ",)" : ")");
        StringBuilder dict = new StringBuilder("{'descr': '" + array.descr() + "', 'fortran_order': "
                + (array.fortranOrder() ? "True" : "False") + ", 'shape': " + shape + ", }");
        int unpadded = NPY_MAGIC.length + 2 + 2 + dict.length() + 1;
        dict.append(" ".repeat((ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT)).append('\n');
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(NPY_MAGIC);
        out.write(1); // version 1.0
        out.write(0);
        out.write(dict.length() & 0xFF); // header length, uint16 little-endian
        out.write(dict.length() >>> 8);
        out.writeBytes(dict.toString().getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * The arrays of the archive at path by name (the entry name without {@code .npy}).
     *
     * @throws IllegalArgumentException naming what is wrong, when the archive or an array in it is
     *     not in numpy's format, or is cut short
     */
    static Map<String, Array> read(Path path) throws IOException {
        Map<String, Array> arrays = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(path.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                if (!entry.getName().endsWith(".npy")) {
                    continue;
                }
                String name = entry.getName().substring(0, entry.getName().length() - ".npy".length());
                if (entry.getSize() > Integer.MAX_VALUE - 8) {
                    throw new IllegalArgumentException(path + ": array " + name + " is " + entry.getSize()
                            + " bytes, more than one Java array holds");
                }
                try (InputStream in = zip.getInputStream(entry)) {
                    arrays.put(name, parse(in.readAllBytes(), path + ": array " + name));
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new IllegalArgumentException(path + " is truncated or corrupt: it is not a complete .npz (zip)"
                    + " archive (" + e.getMessage() + ")");
        }
        return arrays;
    }

    private static Array parse(byte[] npy, String what) {
        if (npy.length < NPY_MAGIC.length + 4 || !Arrays.equals(npy, 0, NPY_MAGIC.length, NPY_MAGIC, 0, NPY_MAGIC.length)) {
            throw new IllegalArgumentException(what + " is not in numpy's .npy format");
        }
        int major = npy[6];
        ByteBuffer in = ByteBuffer.wrap(npy).order(ByteOrder.LITTLE_ENDIAN).position(8);
        long headerLength;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(in.getShort());
        } else if ((major == 2 || major == 3) && npy.length >= 12) {
            headerLength = Integer.toUnsignedLong(in.getInt());
        } else {
            throw new IllegalArgumentException(what + " is .npy version " + major + "; numpy writes versions 1 to 3");
        }
        if (headerLength > in.remaining()) {
            throw new IllegalArgumentException(what + " is truncated: its header is cut short");
        }
        String header = new String(npy, in.position(), (int) headerLength,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shape = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new IllegalArgumentException(what + " has a header numpy would not write: " + header.strip());
        }
        long[] dims = Arrays.stream(shape.group(1).split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        int start = in.position() + (int) headerLength;
        Array array = new Array(descr.group(1), fortran.group(1).equals("True"), dims,
                Arrays.copyOfRange(npy, start, npy.length));
        long expected = Math.multiplyExact(array.elements(), itemSize(array.descr(), what));
        if (expected != array.data().length) {
            throw new IllegalArgumentException(what + " is truncated or corrupt: its shape " + Arrays.toString(dims)
                    + " of " + array.descr() + " needs " + expected + " bytes, it has " + array.data().length);
        }
        return array;
    }

    private static int itemSize(String descr, String what) {
        if (descr.length() >= 3 && "<>|=".indexOf(descr.charAt(0)) >= 0) {
            char kind = descr.charAt(1);
            int size;
            try {
                size = Integer.parseInt(descr.substring(2));
            } catch (NumberFormatException e) {
                size = -1;
            }
            if ((kind == 'f' && (size == 4 || size == 8)) || (kind == 'S' && size >= 0)) {
                return size;
            }
            if (kind == 'U' && size >= 0) {
                return Math.multiplyExact(size, 4);
            }
        }
        throw new IllegalArgumentException(what + " has dtype " + descr + "; features files hold float32 or float64"
                + " numbers and str labels (an object array needs pickle: save labels as np.array(labels, dtype=str))");
    }

    /** The elements of a float32 or float64 array, in row-major (C) order of its shape. */
    static float[] floats(Array array, String what) {
        String descr = array.descr();
        if (descr.charAt(1) != 'f') {
            throw new IllegalArgumentException(what + " has dtype " + descr + ", not float32 or float64");
        }
        ByteBuffer data = ByteBuffer.wrap(array.data())
                .order(descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[Math.toIntExact(array.elements())];
        boolean doubles = descr.endsWith("8");
        for (int i = 0; i < out.length; i++) {
            out[i] = doubles ? (float) data.getDouble() : data.getFloat();
        }
        if (array.fortranOrder() && array.shape().length == 2) {
            int rows = (int) array.shape()[0];
            int cols = (int) array.shape()[1];
            float[] rowMajor = new float[out.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    rowMajor[r * cols + c] = out[c * rows + r];
                }
            }
            return rowMajor;
        }
        return out;
    }

    /** The elements of a 1-D unicode (U) or UTF-8 bytes (S) array, trailing NULs dropped as numpy does. */
    static String[] strings(Array array, String what) {
        String descr = array.descr();
        char kind = descr.charAt(1);
        if (kind != 'U' && kind != 'S') {
            throw new IllegalArgumentException(what + " has dtype " + descr + ", not str");
        }
        int n = Math.toIntExact(array.elements());
        String[] out = new String[n];
        int width = n == 0 ? 0 : array.data().length / n;
        ByteBuffer data = ByteBuffer.wrap(array.data())
                .order(descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            if (kind == 'U') {
                StringBuilder s = new StringBuilder();
                for (int c = 0; c < width / 4; c++) {
                    int point = data.getInt(i * width + c * 4);
                    if (!Character.isValidCodePoint(point)) {
                        throw new IllegalArgumentException(what + ": element " + i + " holds " + point
                                + ", not a unicode character");
                    }
                    s.appendCodePoint(point);
                }
                out[i] = stripNuls(s.toString());
            } else {
                byte[] bytes = Arrays.copyOfRange(array.data(), i * width, (i + 1) * width);
                int end = bytes.length;
                while (end > 0 && bytes[end - 1] == 0) {
                    end--;
                }
                try {
                    out[i] = StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes, 0, end)).toString();
                } catch (CharacterCodingException e) {
                    throw new IllegalArgumentException(what + ": element " + i + " is not UTF-8");
                }
            }
        }
        return out;
    }

    private static String stripNuls(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == 0) {
            end--;
        }
        return s.substring(0, end);
    }

    /** Lists the arrays, for messages: "features (3, 2) <f4, labels (3,) <U5". */
    static String describe(Map<String, Array> arrays) {
        List<String> parts = arrays.entrySet().stream()
                .map(e -> e.getKey() + " " + Arrays.toString(e.getValue().shape()) + " " + e.getValue().descr())
                .toList();
        return parts.isEmpty() ? "no arrays" : String.join(", ", parts);
    }
}
