package io.dinostream.types;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Strings of any length in the serializers' formats. {@link java.io.DataOutput#writeUTF} refuses a
 * string over 65,535 encoded bytes, so a long event id used to fail the task that wrote it, and
 * every restart failed again on the same record.
 *
 * <p>A string whose {@code writeUTF} form fits is still written that way, byte for byte, so values
 * and checkpoints written before this class existed read back unchanged and usual values keep their
 * size. A longer string is written as the marker {@code FF FF FF}, an int byte count and its UTF-8
 * bytes. The marker cannot start a {@code writeUTF} string: a length of 65,535 is followed by
 * modified UTF-8, which never contains a byte 0xF0 to 0xFF.
 *
 * <p>Long strings go through standard UTF-8, so a lone surrogate in one (never in a protobuf
 * string, which must be valid UTF-8) reads back as '?'.
 */
public final class LengthSafeStrings {

    /** Largest modified UTF-8 length {@code writeUTF} writes; also the long form's first marker. */
    private static final int WRITE_UTF_LIMIT = 0xFFFF;
    /** Third byte of the long form, never the first byte of modified UTF-8. */
    private static final int LONG_FORM = 0xFF;

    private LengthSafeStrings() {}

    public static void write(String s, DataOutputView out) throws IOException {
        if (modifiedUtf8Length(s) <= WRITE_UTF_LIMIT) {
            out.writeUTF(s);
            return;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(WRITE_UTF_LIMIT);
        out.writeByte(LONG_FORM);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    public static String read(DataInputView in) throws IOException {
        int length = in.readUnsignedShort();
        if (length < WRITE_UTF_LIMIT) {
            return readModifiedUtf8(length, in, new byte[0]);
        }
        int next = in.readUnsignedByte();
        if (next != LONG_FORM) { // a writeUTF string of exactly 65,535 bytes
            return readModifiedUtf8(length, in, new byte[] {(byte) next});
        }
        int byteCount = in.readInt();
        if (byteCount < 0) {
            throw new IOException("corrupt long string: negative length " + byteCount);
        }
        byte[] utf8 = new byte[byteCount];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    /** What {@code writeUTF} wrote after its length, whose first bytes were already read. */
    private static String readModifiedUtf8(int length, DataInputView in, byte[] alreadyRead) throws IOException {
        byte[] withLength = new byte[2 + length];
        withLength[0] = (byte) (length >>> 8);
        withLength[1] = (byte) length;
        System.arraycopy(alreadyRead, 0, withLength, 2, alreadyRead.length);
        in.readFully(withLength, 2 + alreadyRead.length, length - alreadyRead.length);
        return new DataInputStream(new ByteArrayInputStream(withLength)).readUTF();
    }

    /** Bytes {@code writeUTF} needs for s: 1 per char 1-127, 3 per char from 2048, 2 otherwise (NUL too). */
    static long modifiedUtf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c >= 0x0001 && c <= 0x007F ? 1 : c > 0x07FF ? 3 : 2;
        }
        return n;
    }
}
