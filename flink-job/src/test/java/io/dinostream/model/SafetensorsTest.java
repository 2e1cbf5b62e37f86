package io.dinostream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Writing and reading the safetensors format that PyTorch loads. */
final class SafetensorsTest {

    private static final float[] WEIGHT = {1.5f, -2.25f, 0f, 3.0e-8f, Float.MAX_VALUE, -0.125f}; // 2 x 3
    private static final double[] RUNNING_VAR = {1.0, 0.5, -1e-300, Math.PI};
    private static final long BATCHES_TRACKED = 1L << 40;

    /** The three test tensors, written in this order: float32 2x3, float64 4, int64 scalar. */
    private static byte[] writeSample(Map<String, String> metadata) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("head.last_layer.weight", manager.create(WEIGHT, new Shape(2, 3)));
            tensors.put("backbone.bn1.running_var", manager.create(RUNNING_VAR));
            tensors.put("backbone.bn1.num_batches_tracked", manager.create(BATCHES_TRACKED));
            return Safetensors.write(tensors, metadata);
        }
    }

    private static byte[] littleEndian(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static byte[] littleEndian(double... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    private static byte[] littleEndian(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    private static long headerLength(byte[] file) {
        return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static JsonObject header(byte[] file) {
        String json = new String(file, 8, (int) headerLength(file), StandardCharsets.UTF_8);
        return JsonParser.parseString(json).getAsJsonObject();
    }

    /** A file made by hand: the header length, then the header text, then the data bytes. */
    private static byte[] handMade(long headerLength, String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(json).put(data);
        return b.array();
    }

    private static byte[] handMade(String header, byte[] data) {
        return handMade(header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    // --- round trip ---------------------------------------------------------------------------

    @Test
    void tensorsReadBackInTheOrderTheyWereWritten() {
        Map<String, Safetensors.Tensor> read = Safetensors.read(writeSample(Map.of()));

        assertEquals(List.of("head.last_layer.weight", "backbone.bn1.running_var", "backbone.bn1.num_batches_tracked"),
                List.copyOf(read.keySet()));
    }

    @Test
    void dtypesAreF32F64AndI64() {
        Map<String, Safetensors.Tensor> read = Safetensors.read(writeSample(Map.of()));

        assertEquals("F32", read.get("head.last_layer.weight").dtype());
        assertEquals("F64", read.get("backbone.bn1.running_var").dtype());
        assertEquals("I64", read.get("backbone.bn1.num_batches_tracked").dtype());
    }

    @Test
    void shapesAreKeptAndAScalarHasNoDimensions() {
        Map<String, Safetensors.Tensor> read = Safetensors.read(writeSample(Map.of()));

        assertArrayEquals(new long[] {2, 3}, read.get("head.last_layer.weight").shape());
        assertArrayEquals(new long[] {4}, read.get("backbone.bn1.running_var").shape());
        assertArrayEquals(new long[] {}, read.get("backbone.bn1.num_batches_tracked").shape());
    }

    @Test
    void dataIsTheValuesAsLittleEndianBytes() {
        Map<String, Safetensors.Tensor> read = Safetensors.read(writeSample(Map.of()));

        assertArrayEquals(littleEndian(WEIGHT), read.get("head.last_layer.weight").data());
        assertArrayEquals(littleEndian(RUNNING_VAR), read.get("backbone.bn1.running_var").data());
        assertArrayEquals(littleEndian(BATCHES_TRACKED), read.get("backbone.bn1.num_batches_tracked").data());
    }

    @Test
    void transposedArrayIsWrittenInItsOwnRowMajorOrder() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray transposed = manager.create(WEIGHT, new Shape(2, 3)).transpose(); // 3 x 2

            Safetensors.Tensor tensor = Safetensors.toTensor(transposed);

            assertArrayEquals(new long[] {3, 2}, tensor.shape());
            assertArrayEquals(littleEndian(WEIGHT[0], WEIGHT[3], WEIGHT[1], WEIGHT[4], WEIGHT[2], WEIGHT[5]),
                    tensor.data());
        }
    }

    // --- layout -------------------------------------------------------------------------------

    @Test
    void headerLengthIsAMultipleOfEightAndTheHeaderIsJson() {
        byte[] file = writeSample(Map.of());
        long length = headerLength(file);

        assertEquals(0, length % 8, "header length " + length);
        assertEquals('{', file[8]);
        JsonObject header = header(file);
        assertEquals("F32", header.getAsJsonObject("head.last_layer.weight").get("dtype").getAsString());
    }

    @Test
    void dataFollowsTheHeaderBackToBackFromOffsetZero() {
        byte[] file = writeSample(Map.of());
        JsonObject header = header(file);

        assertEquals(List.of(0L, 24L), offsets(header, "head.last_layer.weight"));
        assertEquals(List.of(24L, 56L), offsets(header, "backbone.bn1.running_var"));
        assertEquals(List.of(56L, 64L), offsets(header, "backbone.bn1.num_batches_tracked"));
        assertEquals(8 + headerLength(file) + 64, file.length);
    }

    private static List<Long> offsets(JsonObject header, String name) {
        JsonArray a = header.getAsJsonObject(name).getAsJsonArray("data_offsets");
        return List.of(a.get(0).getAsLong(), a.get(1).getAsLong());
    }

    @Test
    void metadataRoundTrips() {
        Map<String, String> metadata = Map.of("format", "pt", "step", "120");

        byte[] file = writeSample(metadata);

        assertEquals(metadata, Safetensors.metadata(file));
        assertEquals(3, Safetensors.read(file).size(), "__metadata__ is not a tensor");
    }

    @Test
    void noMetadataWritesNoMetadataEntry() {
        byte[] file = writeSample(Map.of());

        assertEquals(Map.of(), Safetensors.metadata(file));
        assertFalse(header(file).has("__metadata__"));
    }

    @Test
    void writeRawKeepsGivenBytes() {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("u8", new Safetensors.Tensor("U8", new long[] {3}, new byte[] {0, (byte) 200, 7}));

        Safetensors.Tensor back = Safetensors.read(Safetensors.writeRaw(tensors, Map.of())).get("u8");

        assertEquals("U8", back.dtype());
        assertArrayEquals(new long[] {3}, back.shape());
        assertArrayEquals(new byte[] {0, (byte) 200, 7}, back.data());
    }

    // --- malformed files --------------------------------------------------------------------

    @Test
    void readRejectsAFileMissingItsLastByte() {
        byte[] file = writeSample(Map.of());
        byte[] truncated = Arrays.copyOf(file, file.length - 1);

        assertThrows(IllegalArgumentException.class, () -> Safetensors.read(truncated));
    }

    @Test
    void readRejectsAFileCutInsideItsHeader() {
        byte[] file = writeSample(Map.of());
        byte[] truncated = Arrays.copyOf(file, 20);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(truncated));
        assertTrue(e.getMessage().contains("does not fit a 20-byte file"), e.getMessage());
    }

    @Test
    void readRejectsAFileShorterThanTheLengthField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.read(new byte[] {16, 0, 0}));
        assertTrue(e.getMessage().contains("not a safetensors file"), e.getMessage());
    }

    @Test
    void readRejectsAHeaderLengthBeyondTheFile() {
        String header = "{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        byte[] file = handMade(1000, header, new byte[] {5});

        assertThrows(IllegalArgumentException.class, () -> Safetensors.read(file));
    }

    @Test
    void readRejectsTheLargestHeaderLength() {
        String header = "{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        byte[] file = handMade(Long.MAX_VALUE, header, new byte[] {5});

        assertThrows(IllegalArgumentException.class, () -> Safetensors.read(file));
    }

    @Test
    void readRejectsATensorThatEndsBeyondTheFile() {
        byte[] file = handMade("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains("tensor x lies outside the file"), e.getMessage());
    }

    @Test
    void readRejectsATensorWithTheLargestEndOffset() {
        byte[] file = handMade(
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,9223372036854775807]}}", new byte[8]);

        assertThrows(IllegalArgumentException.class, () -> Safetensors.read(file));
    }

    @Test
    void readRejectsATensorThatEndsBeforeItBegins() {
        byte[] file = handMade("{\"x\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,2]}}", new byte[8]);

        assertThrows(IllegalArgumentException.class, () -> Safetensors.read(file));
    }
}
