package io.dinostream.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.RgbImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxSourceTest {

    private static final int ROWS = 9;
    private static final int COLS = 8;
    private static final int COUNT = 3;
    private static final byte[] LABELS = {7, 0, 9};

    @TempDir Path dir;

    @Test
    void readsPixelsAndLabelsOfAnUncompressedPair() throws Exception {
        Path images = write(dir.resolve("train-images-idx3-ubyte"), imagesFile(COUNT), false);
        write(dir.resolve("train-labels-idx1-ubyte"), labelsFile(LABELS), false);

        try (IdxSource source = IdxSource.open(images)) {
            assertEquals(COUNT, source.size());
            assertEquals(ROWS, source.rows());
            assertEquals(COLS, source.cols());
            for (int i = 0; i < COUNT; i++) {
                assertTrue(source.hasNext());
                ImageEvent event = source.next();
                assertEquals("train-images-idx3-ubyte-" + i, event.getId());
                assertEquals(ImageEvent.Encoding.RAW_GRAY8, event.getEncoding());
                assertEquals(COLS, event.getWidth());
                assertEquals(ROWS, event.getHeight());
                assertArrayEquals(pixels(i), event.getData().toByteArray());
                assertEquals(Integer.toString(LABELS[i]), event.getLabel());
            }
            assertFalse(source.hasNext());
            assertThrows(NoSuchElementException.class, source::next);
        }
    }

    @Test
    void readsAGzipPairFromADirectoryAndTheEventsDecode() throws Exception {
        write(dir.resolve("train-images-idx3-ubyte.gz"), imagesFile(COUNT), true);
        write(dir.resolve("train-labels-idx1-ubyte.gz"), labelsFile(LABELS), true);
        // A test set beside it must not be preferred.
        write(dir.resolve("t10k-images-idx3-ubyte"), imagesFile(1), false);
        write(dir.resolve("t10k-labels-idx1-ubyte"), labelsFile(new byte[] {1}), false);

        try (ImageSource source = ImageSources.open("idx:" + dir, 0)) {
            for (int i = 0; i < COUNT; i++) {
                ImageEvent event = source.next();
                assertEquals("train-images-idx3-ubyte-" + i, event.getId());
                assertEquals(Integer.toString(LABELS[i]), event.getLabel());
                RgbImage image = ImageDecoder.decode(event, DecodeLimits.defaults());
                assertEquals(COLS, image.width());
                assertEquals(ROWS, image.height());
                byte[] expected = pixels(i);
                for (int y = 0; y < ROWS; y++) {
                    for (int x = 0; x < COLS; x++) {
                        assertEquals(expected[y * COLS + x] & 0xFF, image.get(x, y, 1));
                    }
                }
            }
            assertFalse(source.hasNext());
        }
    }

    @Test
    void acceptsTheTestSetNamingAndMixedCompression() throws Exception {
        Path images = write(dir.resolve("t10k-images-idx3-ubyte.gz"), imagesFile(COUNT), true);
        write(dir.resolve("t10k-labels-idx1-ubyte"), labelsFile(LABELS), false);

        try (IdxSource source = IdxSource.open(images)) {
            assertEquals(COUNT, source.size());
            assertEquals("t10k-images-idx3-ubyte-0", source.next().getId());
        }
        try (IdxSource source = IdxSource.open(dir)) {
            assertEquals("9", Arrays.asList(source.next(), source.next(), source.next())
                    .get(2).getLabel());
        }
    }

    @Test
    void badMagicIsReported() throws Exception {
        Path images = write(dir.resolve("train-images-idx3-ubyte"), labelsFile(LABELS), false);
        write(dir.resolve("train-labels-idx1-ubyte"), labelsFile(LABELS), false);

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> IdxSource.open(images));

        assertContains(e, "not an IDX images file", "0x00000801", "0x00000803", "swapped");
    }

    @Test
    void truncatedImagesFileIsReportedOnOpen() throws Exception {
        byte[] full = imagesFile(COUNT);
        Path images =
                write(dir.resolve("train-images-idx3-ubyte"), Arrays.copyOf(full, full.length - 5), false);
        write(dir.resolve("train-labels-idx1-ubyte"), labelsFile(LABELS), false);

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> IdxSource.open(images));

        assertContains(e, "truncated", "3 images of 9x8", "re-download");
    }

    @Test
    void truncatedGzipImagesFileIsReportedAtTheMissingImage() throws Exception {
        byte[] full = imagesFile(COUNT);
        Path images =
                write(dir.resolve("train-images-idx3-ubyte.gz"), Arrays.copyOf(full, full.length - 5), true);
        write(dir.resolve("train-labels-idx1-ubyte.gz"), labelsFile(LABELS), true);

        try (IdxSource source = IdxSource.open(images)) {
            source.next();
            source.next();
            UncheckedIOException e = assertThrows(UncheckedIOException.class, source::next);
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertTrue(e.getMessage().contains("image 2"), e.getMessage());
        }
    }

    @Test
    void truncatedLabelsFileIsReported() throws Exception {
        Path images = write(dir.resolve("train-images-idx3-ubyte"), imagesFile(COUNT), false);
        byte[] labels = labelsFile(LABELS);
        write(dir.resolve("train-labels-idx1-ubyte.gz"), Arrays.copyOf(labels, labels.length - 1), true);

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> IdxSource.open(images));

        assertContains(e, "train-labels-idx1-ubyte.gz is truncated");
    }

    @Test
    void missingLabelsFileNamesTheFilesLookedFor() throws Exception {
        Path images = write(dir.resolve("train-images-idx3-ubyte.gz"), imagesFile(COUNT), true);

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> IdxSource.open(images));

        assertContains(e, "looked for train-labels-idx1-ubyte.gz and train-labels-idx1-ubyte in");
    }

    @Test
    void directoryWithoutImagesNamesTheFilesLookedFor() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> IdxSource.open(dir));

        assertContains(e, "train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte");
    }

    @Test
    void countMismatchIsReported() throws Exception {
        Path images = write(dir.resolve("train-images-idx3-ubyte"), imagesFile(COUNT), false);
        write(dir.resolve("train-labels-idx1-ubyte"), labelsFile(new byte[] {1, 2}), false);

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> IdxSource.open(images));

        assertContains(e, "3 images", "2 labels");
    }

    /** Reads Debian's dataset-fashion-mnist when it is installed; skipped elsewhere. */
    @Test
    void readsDebianFashionMnistWhenInstalled() {
        Path fashion = Path.of("/usr/share/datasets/fashion-mnist");
        assumeTrue(Files.isDirectory(fashion), "dataset-fashion-mnist is not installed");

        try (IdxSource source = IdxSource.open(fashion)) {
            assertEquals(60_000, source.size());
            ImageEvent first = source.next();
            assertEquals(28, first.getWidth());
            assertEquals(28 * 28, first.getData().size());
            assertEquals("9", first.getLabel()); // Ankle boot
        }
    }

    // ------------------------------------------------------------ fixtures

    private static byte[] pixels(int image) {
        byte[] px = new byte[ROWS * COLS];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (image * 50 + i * 3);
        }
        return px;
    }

    private static byte[] imagesFile(int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(16).putInt(0x803).putInt(count).putInt(ROWS).putInt(COLS).array());
        for (int i = 0; i < count; i++) {
            out.writeBytes(pixels(i));
        }
        return out.toByteArray();
    }

    private static byte[] labelsFile(byte[] labels) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).putInt(0x801).putInt(labels.length).array());
        out.writeBytes(labels);
        return out.toByteArray();
    }

    private static Path write(Path path, byte[] data, boolean gzip) throws IOException {
        if (gzip) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
                gz.write(data);
            }
            data = bytes.toByteArray();
        }
        return Files.write(path, data);
    }

    private static void assertContains(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(
                    e.getMessage().contains(part),
                    "message should mention '" + part + "': " + e.getMessage());
        }
    }
}
