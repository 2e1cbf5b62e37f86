package io.dinostream.replay;

import io.dinostream.types.DecodedImage;
import io.dinostream.types.LengthSafeStrings;
import io.dinostream.types.RgbImage;
import io.dinostream.types.SourcePosition;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * How the replay buffer keeps an image: its id, where it was read and its label, and its pixels
 * compressed losslessly — one channel when the image is gray (R = G = B, as Fashion-MNIST's), each
 * row delta-coded left to right as PNG's "Sub" filter does, then deflated. A 28 px gray image takes
 * ~0.5 KB instead of 2.3 KB decoded; a photo about half its decoded size (its JPEG would be smaller
 * still: the job does not keep the bytes that arrived). Decoding gives back the very same pixels.
 */
final class StoredImage {

    private static final int FORMAT = 1;

    private StoredImage() {}

    /** The stored form of an image (its replay number is not kept: a stored image is an image as it arrived). */
    static byte[] encode(DecodedImage d) {
        try {
            RgbImage image = d.image();
            byte[] rgb = image.toBytes();
            boolean gray = isGray(rgb);
            int channels = gray ? 1 : 3;
            int w = image.width();
            int h = image.height();
            byte[] planes = new byte[w * h * channels];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < channels; c++) {
                        int i = (y * w + x) * 3 + c;
                        int prev = x == 0 ? 0 : rgb[i - 3];
                        planes[(y * w + x) * channels + c] = (byte) (rgb[i] - prev);
                    }
                }
            }
            Deflater deflater = new Deflater(Deflater.BEST_SPEED);
            byte[] packed;
            try {
                deflater.setInput(planes);
                deflater.finish();
                DataOutputSerializer buf = new DataOutputSerializer(planes.length / 2 + 64);
                byte[] chunk = new byte[8192];
                while (!deflater.finished()) {
                    int n = deflater.deflate(chunk);
                    buf.write(chunk, 0, n);
                }
                packed = buf.getCopyOfBuffer();
            } finally {
                deflater.end();
            }
            DataOutputSerializer out = new DataOutputSerializer(packed.length + 64);
            out.writeByte(FORMAT);
            LengthSafeStrings.write(d.id(), out);
            SourcePosition p = d.position();
            out.writeBoolean(p != null);
            if (p != null) {
                LengthSafeStrings.write(p.topic(), out);
                out.writeInt(p.partition());
                out.writeLong(p.offset());
            }
            LengthSafeStrings.write(d.label(), out);
            out.writeInt(w);
            out.writeInt(h);
            out.writeByte(channels);
            out.writeInt(packed.length);
            out.write(packed);
            return out.getCopyOfBuffer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The image encode stored, as it arrived (replay number 0). */
    static DecodedImage decode(byte[] stored) {
        try {
            DataInputDeserializer in = new DataInputDeserializer(stored);
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new IllegalStateException("replay buffer entry format " + format + " is not " + FORMAT);
            }
            String id = LengthSafeStrings.read(in);
            SourcePosition p = in.readBoolean() ? new SourcePosition(LengthSafeStrings.read(in), in.readInt(), in.readLong())
                    : null;
            String label = LengthSafeStrings.read(in);
            int w = in.readInt();
            int h = in.readInt();
            int channels = in.readUnsignedByte();
            byte[] packed = new byte[in.readInt()];
            in.readFully(packed);
            byte[] planes = new byte[w * h * channels];
            Inflater inflater = new Inflater();
            try {
                inflater.setInput(packed);
                int n = 0;
                while (n < planes.length) {
                    int got = inflater.inflate(planes, n, planes.length - n);
                    if (got == 0 && (inflater.finished() || inflater.needsInput())) {
                        throw new IllegalStateException("replay buffer entry of " + id + " is truncated");
                    }
                    n += got;
                }
            } catch (DataFormatException e) {
                throw new IllegalStateException("replay buffer entry of " + id + " is corrupt", e);
            } finally {
                inflater.end();
            }
            byte[] rgb = new byte[w * h * 3];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        int i = (y * w + x) * 3 + c;
                        int prev = x == 0 ? 0 : rgb[i - 3];
                        rgb[i] = (byte) (planes[(y * w + x) * channels + (channels == 1 ? 0 : c)] + prev);
                    }
                }
            }
            return new DecodedImage(id, p, new RgbImage(w, h, rgb), label);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isGray(byte[] rgb) {
        for (int i = 0; i < rgb.length; i += 3) {
            if (rgb[i] != rgb[i + 1] || rgb[i] != rgb[i + 2]) {
                return false;
            }
        }
        return true;
    }
}
