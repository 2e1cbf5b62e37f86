package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a
 * JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian data.
 * PyTorch reads it with {@code safetensors.torch.load_file}; names are the module's state-dict
 * names, so the file loads into the matching torchvision / official DINO module. It is DINO
 * Stream's one tensor format: published checkpoints and the trainer's saved state, whose scalars
 * go into the header's string {@code __metadata__}.
 */
public final class Safetensors {

    private static final Gson GSON = new Gson();
    private static final String METADATA = "__metadata__";

    /** One tensor as stored: dtype name (F32, F64, I64, …), shape and little-endian bytes. */
    public record Tensor(String dtype, long[] shape, byte[] data) {}

    /** A tensor's place in a file: dtype, shape and byte range within the data section. */
    private record Entry(String name, String dtype, long[] shape, int begin, int end) {}

    /** A parsed header: the metadata strings, the entries in file order, where the data starts. */
    private record Header(Map<String, String> metadata, List<Entry> entries, int dataStart) {}

    /** What the header says of a tensor to write: its name, dtype, shape and byte count. */
    private record Layout(String name, String dtype, long[] shape, long size) {}

    private Safetensors() {}

    /**
     * Serialises the tensors in map order, with optional string metadata. Each tensor's bytes are
     * copied once, straight into the file.
     */
    public static byte[] write(Map<String, NDArray> tensors, Map<String, String> metadata) {
        List<Layout> layout = new ArrayList<>();
        tensors.forEach((name, a) -> layout.add(new Layout(name, dtypeName(a.getDataType()), a.getShape().getShape(),
                a.getShape().size() * a.getDataType().getNumOfBytes())));
        ByteBuffer out = allocate(layout, metadata);
        int i = 0;
        for (NDArray array : tensors.values()) {
            ByteBuffer data = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            Layout l = layout.get(i++);
            if (data.remaining() != l.size()) {
                throw new IllegalStateException(l.name() + " gave " + data.remaining() + " bytes for " + l.size());
            }
            out.put(data);
        }
        return out.array();
    }

    /** A tensor's dtype, shape and bytes, copied off its device. */
    public static Tensor toTensor(NDArray array) {
        ByteBuffer buffer = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return new Tensor(dtypeName(array.getDataType()), array.getShape().getShape(), bytes);
    }

    /** Serialises tensors already held as bytes, in map order, with optional string metadata. */
    public static byte[] writeRaw(Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<Layout> layout = new ArrayList<>();
        tensors.forEach((name, t) -> layout.add(new Layout(name, t.dtype(), t.shape(), t.data().length)));
        ByteBuffer out = allocate(layout, metadata);
        tensors.values().forEach(t -> out.put(t.data()));
        return out.array();
    }

    /**
     * A buffer for the whole file, positioned at the data section: the length field and the JSON
     * header are written, the header padded with spaces so the data starts 8-byte aligned.
     */
    private static ByteBuffer allocate(List<Layout> tensors, Map<String, String> metadata) {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add(METADATA, meta);
        }
        long offset = 0;
        for (Layout l : tensors) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", l.dtype());
            JsonArray shape = new JsonArray();
            for (long d : l.shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += l.size();
            offsets.add(offset);
            t.add("data_offsets", offsets);
            header.add(l.name(), t);
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        long total = 8L + padded + offset;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensors of " + offset + " bytes do not fit one safetensors array"
                    + " (2 GiB at most)");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        return out;
    }

    /** Parses a safetensors file; throws IllegalArgumentException when it is malformed. */
    public static Map<String, Tensor> read(byte[] file) {
        Header header = parseHeader(file);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Entry e : header.entries()) {
            byte[] data = new byte[e.end() - e.begin()];
            System.arraycopy(file, header.dataStart() + e.begin(), data, 0, data.length);
            out.put(e.name(), new Tensor(e.dtype(), e.shape(), data));
        }
        return out;
    }

    /**
     * Parses a safetensors file into arrays on manager, each copied once from the file into native
     * memory; throws IllegalArgumentException when the file is malformed, names a dtype DJL has
     * not, or a tensor's bytes do not match its shape.
     */
    public static Map<String, NDArray> readArrays(byte[] file, NDManager manager) {
        Header header = parseHeader(file);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Entry e : header.entries()) {
            out.put(e.name(), toArray(e.name(), e.dtype(), e.shape(),
                    ByteBuffer.wrap(file, header.dataStart() + e.begin(), e.end() - e.begin()), manager));
        }
        return out;
    }

    /** The tensor as an array on manager (the inverse of {@link #toTensor}). */
    public static NDArray toArray(Tensor tensor, NDManager manager) {
        return toArray("tensor", tensor.dtype(), tensor.shape(), ByteBuffer.wrap(tensor.data()), manager);
    }

    private static NDArray toArray(String name, String dtype, long[] dims, ByteBuffer data, NDManager manager) {
        DataType type = dataType(dtype);
        Shape shape = new Shape(dims);
        long expected = shape.size() * type.getNumOfBytes();
        if (data.remaining() != expected) {
            throw new IllegalArgumentException(name + " holds " + data.remaining() + " bytes, its dtype " + dtype
                    + " and shape " + shape + " need " + expected);
        }
        ByteBuffer buffer = manager.allocateDirect(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(data).rewind();
        return manager.create(buffer, shape, type);
    }

    /** The metadata strings of a safetensors file (empty when none); throws IllegalArgumentException when it is malformed. */
    public static Map<String, String> metadata(byte[] file) {
        return parseHeader(file).metadata();
    }

    private static Header parseHeader(byte[] file) {
        try {
            return parse(file);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("malformed safetensors header: " + e, e);
        }
    }

    private static Header parse(byte[] file) {
        if (file.length < 8) {
            throw new IllegalArgumentException("not a safetensors file: " + file.length + " bytes");
        }
        long headerLength = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > file.length - 8) { // not 8 + headerLength: it can overflow
            throw new IllegalArgumentException("safetensors header length " + headerLength + " does not fit a "
                    + file.length + "-byte file");
        }
        JsonObject header = JsonParser.parseString(
                new String(file, 8, (int) headerLength, StandardCharsets.UTF_8)).getAsJsonObject();
        int dataStart = 8 + (int) headerLength;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                e.getValue().getAsJsonObject().entrySet()
                        .forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
                continue;
            }
            JsonObject t = e.getValue().getAsJsonObject();
            JsonArray shapeJson = t.getAsJsonArray("shape");
            long[] shape = new long[shapeJson.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeJson.get(i).getAsLong();
            }
            JsonArray offsets = t.getAsJsonArray("data_offsets");
            long begin = offsets.get(0).getAsLong();
            long end = offsets.get(1).getAsLong();
            if (begin < 0 || end < begin || end > file.length - dataStart) { // not dataStart + end: it can overflow
                throw new IllegalArgumentException("tensor " + e.getKey() + " lies outside the file");
            }
            entries.add(new Entry(e.getKey(), t.get("dtype").getAsString(), shape, (int) begin, (int) end));
        }
        return new Header(Collections.unmodifiableMap(metadata), entries, dataStart);
    }

    /** The safetensors name of a DJL data type. */
    public static String dtypeName(DataType type) {
        return switch (type) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case FLOAT16 -> "F16";
            case BFLOAT16 -> "BF16";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case INT8 -> "I8";
            case UINT8 -> "U8";
            case BOOLEAN -> "BOOL";
            default -> throw new IllegalArgumentException("safetensors has no dtype for " + type);
        };
    }

    /** The DJL data type of a safetensors dtype name. */
    public static DataType dataType(String dtype) {
        return switch (dtype) {
            case "F32" -> DataType.FLOAT32;
            case "F64" -> DataType.FLOAT64;
            case "F16" -> DataType.FLOAT16;
            case "BF16" -> DataType.BFLOAT16;
            case "I64" -> DataType.INT64;
            case "I32" -> DataType.INT32;
            case "I8" -> DataType.INT8;
            case "U8" -> DataType.UINT8;
            case "BOOL" -> DataType.BOOLEAN;
            default -> throw new IllegalArgumentException("dtype " + dtype + " is not one DINO Stream reads");
        };
    }
}
