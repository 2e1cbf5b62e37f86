package io.dinostream.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeaturesTest {

    @TempDir Path dir;

    private static Features sample() {
        return new Features(
                new float[][] {
                    {1f / 3, -0f, Float.MIN_VALUE},
                    {Float.MAX_VALUE, -Float.MAX_VALUE, 0.1f},
                    {-2.5f, 1e-30f, 123456.79f}
                },
                new String[] {"cat", "", "猫 🐱 é"});
    }

    @Test
    void writeThenReadGivesTheSameFloatsAndLabels() throws Exception {
        Path file = dir.resolve("f.feat");
        Features f = sample();

        f.write(file);
        Features back = Features.read(file);

        assertEquals(f, back);
        assertEquals(3, back.size());
        assertEquals(3, back.dim());
        assertEquals(List.of("cat", "", "猫 🐱 é"), back.labels());
        assertFalse(back.isLabelled(1));
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(Float.floatToRawIntBits(f.get(r, c)), Float.floatToRawIntBits(back.get(r, c)));
            }
        }
        // header 20 bytes + 3 × (4 + 12) + labels of 3, 0 and 11 UTF-8 bytes (猫 3, 🐱 4, é 2, spaces 2)
        assertEquals(20 + 3 * 16 + 3 + 0 + 11, Files.size(file));
    }

    @Test
    void anEmptySetRoundTrips() {
        Path file = dir.resolve("empty.feat");
        Features empty = new Features(new float[0], 0, 128, new String[0]);

        empty.write(file);

        assertEquals(empty, Features.read(file));
        assertEquals(128, Features.read(file).dim());
    }

    @Test
    void aTruncatedFileIsRefusedWhereverItIsCut() throws Exception {
        Path whole = dir.resolve("whole.feat");
        sample().write(whole);
        byte[] bytes = Files.readAllBytes(whole);
        for (int length = 1; length < bytes.length; length++) {
            Path cut = dir.resolve("cut-" + length + ".feat");
            Files.write(cut, Arrays.copyOf(bytes, length));

            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Features.read(cut), "cut at " + length);
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
        Path cut = dir.resolve("cut.feat");
        Files.write(cut, Arrays.copyOf(bytes, 30));
        assertEquals(cut + " is truncated: it should hold 3 rows of 3 floats (at least 68 bytes) but has only 30 bytes",
                assertThrows(IllegalArgumentException.class, () -> Features.read(cut)).getMessage());
    }

    @Test
    void aFileWithAnotherMagicIsRefused() throws Exception {
        Path file = dir.resolve("f.feat");
        sample().write(file);
        byte[] bytes = Files.readAllBytes(file);
        bytes[0] = 'X';
        Files.write(file, bytes);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Features.read(file));
        assertEquals(file + " is not a DINO Stream features file: it does not start with \"DINOFEAT\"", e.getMessage());
    }

    @Test
    void anotherVersionAndTrailingBytesAreRefused() throws Exception {
        Path file = dir.resolve("f.feat");
        sample().write(file);
        byte[] bytes = Files.readAllBytes(file);

        byte[] v2 = bytes.clone();
        v2[11] = 2;
        Files.write(file, v2);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Features.read(file))
                .getMessage().endsWith("is features file version 2; this build reads version 1"));

        Files.write(file, Arrays.copyOf(bytes, bytes.length + 4));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Features.read(file))
                .getMessage().contains("has 4 bytes after its last row"));
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("nope.feat");

        assertEquals("features file " + missing + " does not exist",
                assertThrows(IllegalArgumentException.class, () -> Features.read(missing)).getMessage());
    }

    @Test
    void l2NormalizedRowsHaveUnitLengthAndZeroRowsStayZero() {
        Features f = new Features(new float[][] {{3f, 4f}, {0f, 0f}}, new String[] {"a", "b"});

        Features n = f.l2Normalized();

        assertArrayEquals(new float[] {0.6f, 0.8f}, n.row(0));
        assertArrayEquals(new float[] {0f, 0f}, n.row(1));
        assertEquals(f.labels(), n.labels());
    }

    @Test
    void malformedMatricesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new Features(new float[][] {{1f, 2f}, {3f}}, new String[] {"a", "b"}));
        assertThrows(IllegalArgumentException.class, () -> new Features(new float[][] {{1f}}, new String[] {}));
        assertThrows(IllegalArgumentException.class, () -> new Features(new float[5], 2, 3, new String[2]));
        assertEquals("feature 1 of row 0 is NaN: values must be finite",
                assertThrows(IllegalArgumentException.class,
                        () -> new Features(new float[][] {{1f, Float.NaN}}, new String[] {"a"})).getMessage());
    }

    @Test
    void theInputArraysAreCopied() {
        float[] data = {1f, 2f};
        String[] labels = {"a"};
        Features f = new Features(data, 1, 2, labels);

        data[0] = 9f;
        labels[0] = "z";

        assertEquals(1f, f.get(0, 0));
        assertEquals("a", f.label(0));
    }
}
