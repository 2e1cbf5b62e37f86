package io.dinostream.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Labelled feature matrices and their files, numpy .npz archives. */
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
    void writeThenReadGivesTheSameFloatsAndLabels() {
        Path file = dir.resolve("f.npz");
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
    }

    @Test
    void anEmptySetRoundTrips() {
        Path file = dir.resolve("empty.npz");
        Features empty = new Features(new float[0], 0, 128, new String[0]);

        empty.write(file);

        assertEquals(empty, Features.read(file));
        assertEquals(128, Features.read(file).dim());
    }

    @Test
    void aTruncatedFileIsRefusedWhereverItIsCut() throws Exception {
        Path whole = dir.resolve("whole.npz");
        sample().write(whole);
        byte[] bytes = Files.readAllBytes(whole);
        for (int length = 1; length < bytes.length; length++) {
            Path cut = dir.resolve("cut-" + length + ".npz");
            Files.write(cut, Arrays.copyOf(bytes, length));

            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Features.read(cut), "cut at " + length);
            assertTrue(e.getMessage().startsWith(cut + " is truncated or corrupt: it is not a complete .npz (zip)"
                    + " archive"), e.getMessage());
        }
    }

    @Test
    void anArrayWhoseBytesDoNotFillItsShapeIsRefused() throws Exception {
        Path file = dir.resolve("short.npz");
        Npz.write(file, Map.of("features", new Npz.Array("<f4", false, new long[] {3, 2}, new byte[20])));

        assertEquals(file + ": array features is truncated or corrupt: its shape [3, 2] of <f4 needs 24 bytes,"
                + " it has 20", assertThrows(IllegalArgumentException.class, () -> Features.read(file)).getMessage());
    }

    @Test
    void aFileThatIsNoNpzArchiveIsRefused() throws Exception {
        Path file = dir.resolve("f.csv");
        Files.writeString(file, "label,f0,f1\ncat,0.5,1.5\n");

        assertEquals(file + " is not a features file: it is no .npz archive (as embed and numpy.savez write) with a"
                        + " features array and a labels array",
                assertThrows(IllegalArgumentException.class, () -> Features.read(file)).getMessage());
    }

    @Test
    void aFeaturesFileOfAnEarlierVersionIsRefusedWithWhatToDo() throws Exception {
        Path file = dir.resolve("old.feat");
        Files.write(file, new byte[] {'D', 'I', 'N', 'O', 'F', 'E', 'A', 'T', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1});

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Features.read(file));
        assertTrue(e.getMessage().endsWith("run embed again to write it"), e.getMessage());
    }

    @Test
    void anArchiveWithoutAFeaturesMatrixIsRefusedNamingWhatItHolds() throws Exception {
        Path file = dir.resolve("labels-only.npz");
        Npz.write(file, Map.of("labels", Npz.unicode(new String[] {"a", "b"})));

        assertEquals(file + " holds labels [2] <U1; a features file needs a 2-D array features (rows × dimensions,"
                + " 1 or more) and a 1-D array labels",
                assertThrows(IllegalArgumentException.class, () -> Features.read(file)).getMessage());
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("nope.npz");

        assertEquals("features file " + missing + " does not exist",
                assertThrows(IllegalArgumentException.class, () -> Features.read(missing)).getMessage());
    }

    // numpy itself, where this machine has it: what embed writes is for numpy users to load.

    /** Runs a Python script with numpy; returns what it printed. */
    private static String python(String script, Path file) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", script, file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 finished");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static boolean hasNumpy() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void numpyLoadsTheFeaturesAsFloat32AndTheLabelsAsStr() throws Exception {
        assumeTrue(hasNumpy(), "python3 with numpy is not installed");
        Path file = dir.resolve("f.npz");
        sample().write(file);

        String printed = python("""
                import sys, numpy
                f = numpy.load(sys.argv[1])
                print(sorted(f.files), f["features"].dtype, f["features"].shape, f["labels"].dtype)
                print(f["features"].tobytes().hex())
                print("|".join(f["labels"]))
                """, file);

        List<String> lines = printed.lines().toList();
        assertEquals("['features', 'labels'] float32 (3, 3) <U5", lines.get(0));
        ByteBuffer expected = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < 3; r++) {
            expected.putFloat(sample().get(r, 0)).putFloat(sample().get(r, 1)).putFloat(sample().get(r, 2));
        }
        assertEquals(HexFormat.of().formatHex(expected.array()), lines.get(1), "the very same float32 bits");
        assertEquals("cat||猫 🐱 é", lines.get(2));
    }

    @Test
    void whatNumpyWritesIsRead() throws Exception {
        assumeTrue(hasNumpy(), "python3 with numpy is not installed");
        Path file = dir.resolve("numpy.npz");
        // float64 in Fortran order, compressed: all unlike what write() produces.
        python("""
                import sys, numpy
                features = numpy.asfortranarray(numpy.array([[1.5, -2, 0], [0.25, 3, 1]]))
                numpy.savez_compressed(sys.argv[1], features=features, labels=numpy.array(["cat", "猫 🐱 é"]))
                """, file);

        Features f = Features.read(file);

        assertArrayEquals(new float[] {1.5f, -2f, 0f}, f.row(0));
        assertArrayEquals(new float[] {0.25f, 3f, 1f}, f.row(1));
        assertEquals(List.of("cat", "猫 🐱 é"), f.labels());
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
