package io.dinostream.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.StandardOutput;
import io.dinostream.datasets.ImageSource;
import io.dinostream.datasets.ImageSources;
import io.dinostream.features.Embedder;
import io.dinostream.features.Features;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.CheckpointFixtures;
import io.dinostream.publish.CheckpointLoader;
import io.dinostream.publish.FileObjectStore;
import io.dinostream.publish.LoadedCheckpoint;
import io.dinostream.types.RgbImage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code embed} from the command line: checkpoint and images in, a numpy .npz of features and labels out. */
class EmbedCommandTest {

    @TempDir Path dir;
    private FileObjectStore store;

    @BeforeEach
    void publish() throws Exception {
        store = CheckpointFixtures.publish(dir.resolve("ckpt"));
    }

    @Test
    void writesOneRowPerImageWithItsLabelAndTheCheckpointsFeatures() throws Exception {
        Path out = dir.resolve("out/features.npz");
        assertEquals(0, EmbedCommand.run(List.of("--checkpoint", store.location(), "--images", "synthetic",
                "--limit", "5", "--out", out.toString())));

        Features rows = Features.read(out);
        List<String> labels = new ArrayList<>();
        List<RgbImage> images = new ArrayList<>();
        try (ImageSource source = ImageSources.open("synthetic", 0)) {
            for (int i = 0; i < 5; i++) {
                ImageEvent e = source.next();
                labels.add(e.getLabel());
                images.add(ImageDecoder.decode(e, DecodeLimits.defaults()));
            }
        }
        float[][] expected;
        try (LoadedCheckpoint loaded = CheckpointLoader.load(store, "latest")) {
            expected = new Embedder(loaded).embed(images);
        }
        assertEquals(labels, rows.labels());
        assertEquals(5, rows.size());
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(expected[i], rows.row(i), "image " + i);
        }
        try (var files = Files.list(out.getParent())) {
            assertEquals(List.of(out), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void aGivenStepIsUsed() throws Exception {
        Path latest = dir.resolve("latest.npz");
        Path first = dir.resolve("first.npz");
        List<String> common = List.of("--checkpoint", store.location(), "--images", "synthetic:4", "--limit", "3");
        List<String> a = new ArrayList<>(common);
        a.addAll(List.of("--out", latest.toString()));
        List<String> b = new ArrayList<>(common);
        b.addAll(List.of("--out", first.toString(), "--step", "1"));
        assertEquals(0, EmbedCommand.run(a));
        assertEquals(0, EmbedCommand.run(b));
        assertFalse(Features.read(latest).equals(Features.read(first)), "steps 1 and 2 give other features");
    }

    @Test
    void aCorruptCheckpointFailsAndWritesNothing() throws Exception {
        Path teacher = dir.resolve("ckpt/step-000000000002/teacher.safetensors");
        byte[] data = Files.readAllBytes(teacher);
        data[100] ^= 0x40;
        Files.write(teacher, data);
        Path out = dir.resolve("features.npz");
        assertEquals(1, EmbedCommand.run(List.of("--checkpoint", store.location(), "--images", "synthetic",
                "--limit", "5", "--out", out.toString())));
        assertFalse(Files.exists(out));
    }

    @Test
    void aCheckpointFolderThatDoesNotExistFailsAndIsNotCreated() {
        Path missing = dir.resolve("no-such-folder");
        assertEquals(1, EmbedCommand.run(List.of("--checkpoint", missing.toUri().toString(), "--images", "synthetic",
                "--limit", "5", "--out", dir.resolve("features.npz").toString())));
        assertFalse(Files.exists(missing));
    }

    @Test
    void s3IsReachedWithTheJobsOwnS3Options() {
        String help = EmbedCommand.OPTIONS.help();

        for (var option : io.dinostream.publish.PublishSettings.S3_OPTIONS) {
            assertTrue(help.contains("--" + option.name() + " "), option + " in:\n" + help);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EmbedCommand.run(List.of("--s3.request-timeout-ms", "0")));
        assertEquals("--s3.request-timeout-ms must be > 0, got 0", e.getMessage());
    }

    @Test
    void helpSaysTheOutputIsANumpyArchiveAndListsEveryOption() throws Exception {
        String printed = StandardOutput.of(() -> assertEquals(0, EmbedCommand.run(List.of("--help"))));

        assertTrue(printed.contains("Writes a numpy .npz archive: 'features', float32"), printed);
        assertTrue(printed.contains("the .npz file to write"), printed);
        assertFalse(printed.contains("CSV"), printed);
        assertEquals(List.of("--checkpoint", "--step", "--images", "--limit", "--out", "--batch-size", "--seed", "--device",
                "--s3.endpoint", "--s3.region", "--s3.access-key", "--s3.secret-key", "--s3.request-timeout-ms"),
                KnnCommandTest.options(printed.lines().toList()));
    }

    @Test
    void missingOptionsAndAnEndlessSourceWithoutLimitAreUsageErrors() {
        IllegalArgumentException noOut = assertThrows(IllegalArgumentException.class,
                () -> EmbedCommand.run(List.of("--checkpoint", store.location(), "--images", "synthetic")));
        assertTrue(noOut.getMessage().contains("--out is required"), noOut.getMessage());
        IllegalArgumentException endless = assertThrows(IllegalArgumentException.class,
                () -> EmbedCommand.run(List.of("--checkpoint", store.location(), "--images", "synthetic",
                        "--out", dir.resolve("x.npz").toString())));
        assertTrue(endless.getMessage().contains("--limit"), endless.getMessage());
    }
}
