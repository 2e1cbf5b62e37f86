package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a
 * JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian data.
 * PyTorch reads it with {@code safetensors.torch.load_file}; names are the module's state-dict
 * names, so the file loads into the matching torchvision / official DINO module.
 */
public final class Safetensors {

    private static final Gson GSON = new Gson();

    /** One tensor as stored: dtype name (F32, F64, I64, …), shape and little-endian bytes. */
    public record Tensor(String dtype, long[] shape, byte[] data) {}

    private Safetensors() {}

    /** Serialises the tensors in map order, with optional string metadata. */
    public static byte[] write(Map<String, NDArray> tensors, Map<String, String> metadata) {
        Map<String, Tensor> raw = new LinkedHashMap<>();
        tensors.forEach((name, array) -> raw.put(name, toTensor(array)));
        return writeRaw(raw, metadata);
    }

    /** A tensor's dtype, shape and bytes, copied off its device. */
    public static Tensor toTensor(NDArray array) {
        ByteBuffer buffer = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return new Tensor(dtypeName(array.getDataType()), array.getShape().getShape(), bytes);
    }

    public static byte[] writeRaw(Map<String, Tensor> tensors, Map<String, String> metadata) {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", e.getValue().dtype());
            JsonArray shape = new JsonArray();
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += e.getValue().data().length;
            offsets.add(offset);
            t.add("data_offsets", offsets);
            header.add(e.getKey(), t);
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the data section starts 8-byte aligned
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 + padded + (int) offset);
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.writeBytes(json);
        for (int i = json.length; i < padded; i++) {
            out.write(' ');
        }
        for (Tensor t : tensors.values()) {
            out.writeBytes(t.data());
        }
        return out.toByteArray();
    }

    /** Parses a safetensors file; throws IllegalArgumentException when it is malformed. */
    public static Map<String, Tensor> read(byte[] file) {
        try {
            return parse(file);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("malformed safetensors header: " + e, e);
        }
    }

    private static Map<String, Tensor> parse(byte[] file) {
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
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
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
            byte[] data = new byte[(int) (end - begin)];
            System.arraycopy(file, dataStart + (int) begin, data, 0, data.length);
            out.put(e.getKey(), new Tensor(t.get("dtype").getAsString(), shape, data));
        }
        return out;
    }

    /** The metadata strings of a safetensors file (empty when none). */
    public static Map<String, String> metadata(byte[] file) {
        long headerLength = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = JsonParser.parseString(
                new String(file, 8, (int) headerLength, StandardCharsets.UTF_8)).getAsJsonObject();
        Map<String, String> out = new LinkedHashMap<>();
        if (header.has("__metadata__")) {
            header.getAsJsonObject("__metadata__").entrySet().forEach(e -> out.put(e.getKey(), e.getValue().getAsString()));
        }
        return out;
    }

    static String dtypeName(DataType type) {
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
}
