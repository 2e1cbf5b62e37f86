package io.dinostream.train;

import ai.djl.ndarray.types.DataType;
import io.dinostream.model.Safetensors;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trainer states saved before they were safetensors (versions 1 and 2 of {@link DinoTrainer}'s
 * state: a {@code DataOutput} layout), upgraded to the current layout so the Flink checkpoints and
 * savepoints those builds took still restore. Nothing writes the old layout any more; this class
 * can go once no such savepoint needs restoring.
 *
 * <p>The old layout: UTF magic {@code dino-stream/trainer-state}, int version, UTF model, longs
 * step, images seen, non-finite steps, (version 2:) images skipped, RNG state; int tensor count,
 * each tensor as UTF name, UTF DJL {@code DataType} name, int rank, long dimensions, int byte count,
 * the little-endian bytes; int count of update counts, each as UTF name and long.
 */
final class LegacyTrainerState {

    private static final String MAGIC = "dino-stream/trainer-state";
    private static final byte[] PREFIX = prefix();

    private LegacyTrainerState() {}

    /** True when state starts as the old layout does (a safetensors file cannot: its first 8 bytes are a length). */
    static boolean isLegacy(byte[] state) {
        return state.length >= PREFIX.length && Arrays.equals(state, 0, PREFIX.length, PREFIX, 0, PREFIX.length);
    }

    /**
     * The same state in the current layout (safetensors, version 3).
     *
     * @throws IllegalArgumentException when the bytes are truncated or of a version that never used
     *     this layout
     */
    static byte[] upgrade(byte[] state) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            in.readUTF(); // the magic
            int version = in.readInt();
            if (version < 1 || version > 2) {
                throw new IllegalArgumentException("trainer state version " + version + " in the pre-safetensors"
                        + " layout was never written by DINO Stream: the state is corrupt");
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put(DinoTrainer.STATE_KIND_KEY, DinoTrainer.STATE_KIND);
            meta.put(DinoTrainer.STATE_VERSION_KEY, "3");
            meta.put(DinoTrainer.STATE_MODEL_KEY, in.readUTF());
            meta.put(DinoTrainer.STATE_STEP_KEY, Long.toString(in.readLong()));
            meta.put(DinoTrainer.STATE_IMAGES_SEEN_KEY, Long.toString(in.readLong()));
            meta.put(DinoTrainer.STATE_NON_FINITE_STEPS_KEY, Long.toString(in.readLong()));
            meta.put(DinoTrainer.STATE_IMAGES_SKIPPED_KEY, Long.toString(version >= 2 ? in.readLong() : 0));
            meta.put(DinoTrainer.STATE_RANDOM_KEY, Long.toString(in.readLong()));
            Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
            for (int n = in.readInt(); n > 0; n--) {
                String name = in.readUTF();
                tensors.put(name, tensor(in));
            }
            for (int n = in.readInt(); n > 0; n--) {
                String parameter = in.readUTF();
                meta.put(DinoTrainer.STATE_UPDATES_PREFIX + parameter, Long.toString(in.readLong()));
            }
            return Safetensors.writeRaw(tensors, meta);
        } catch (IOException e) {
            throw new IllegalArgumentException("trainer state is truncated or corrupt: " + e, e);
        }
    }

    private static Safetensors.Tensor tensor(DataInputStream in) throws IOException {
        String dtype;
        try {
            dtype = Safetensors.dtypeName(DataType.valueOf(in.readUTF()));
        } catch (IllegalArgumentException e) {
            throw new IOException("unknown tensor data type: " + e.getMessage(), e);
        }
        int rank = in.readInt();
        if (rank < 0) {
            throw new IOException("negative tensor rank " + rank);
        }
        long[] shape = new long[rank];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = in.readLong();
        }
        int size = in.readInt();
        if (size < 0 || size > in.available()) {
            throw new IOException("a tensor of " + size + " bytes where " + in.available() + " are left");
        }
        byte[] data = new byte[size];
        in.readFully(data);
        return new Safetensors.Tensor(dtype, shape, data);
    }

    /** The magic as writeUTF writes it: a 2-byte big-endian length, then the bytes. */
    private static byte[] prefix() {
        byte[] magic = MAGIC.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[2 + magic.length];
        out[0] = (byte) (magic.length >>> 8);
        out[1] = (byte) magic.length;
        System.arraycopy(magic, 0, out, 2, magic.length);
        return out;
    }
}
