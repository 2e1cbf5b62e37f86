package io.dinostream.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.datasets.ImageSource;
import io.dinostream.datasets.ImageSources;
import io.dinostream.features.Embedder;
import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.model.VisionTransformer;
import io.dinostream.proto.ImageEvent;
import io.dinostream.publish.CheckpointFixtures;
import io.dinostream.publish.CheckpointLoader;
import io.dinostream.publish.FileObjectStore;
import io.dinostream.publish.LoadedCheckpoint;
import io.dinostream.types.RgbImage;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code attention} on a ViT checkpoint trained and published by the job's own parts. */
class AttentionCommandTest {

    @TempDir Path dir;

    @Test
    void writesTheImageAndAMapPerHeadOfTheLastLayersClsAttention() throws Exception {
        FileObjectStore store = CheckpointFixtures.publish(dir.resolve("ckpt"), CheckpointFixtures.VIT_CONFIG);
        Path out = dir.resolve("maps");

        assertEquals(0, AttentionCommand.run(List.of("--checkpoint", store.location(), "--images", "synthetic",
                "--limit", "2", "--out", out.toString())));

        RgbImage first;
        String id;
        try (ImageSource source = ImageSources.open("synthetic", 0)) {
            ImageEvent e = source.next();
            id = e.getId();
            first = ImageDecoder.decode(e, DecodeLimits.defaults());
        }
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(2 * (1 + 2 + 1), files.count(), "per image: the image, 2 heads, the heads side by side");
        }
        try (LoadedCheckpoint loaded = CheckpointLoader.load(store, "latest")) {
            VisionTransformer vit = (VisionTransformer) loaded.backbone();
            RgbImage resized = io.dinostream.augment.BicubicResize.resize(first, 16, 16);
            float[][] maps = AttentionCommand.clsAttention(vit, loaded.manager(), resized);
            assertEquals(2, maps.length, "one map per head");
            for (float[] map : maps) {
                assertEquals(16, map.length, "the 4 x 4 patches, the CLS column left out");
                double sum = 0;
                for (float v : map) {
                    assertTrue(v > 0);
                    sum += v;
                }
                assertTrue(sum < 1, "a softmax row without its CLS entry sums under 1: " + sum);
            }
            for (int h = 0; h < 2; h++) {
                BufferedImage png = ImageIO.read(out.resolve("0000-" + id + "-head" + h + ".png").toFile());
                assertEquals(16, png.getWidth());
                assertArrayEquals(pixels(AttentionCommand.overlay(resized, maps[h], 4, 4)), pixels(png),
                        "head " + h + " drawn from the checkpoint's attention");
            }
            assertFalse(java.util.Arrays.equals(maps[0], maps[1]), "heads attend differently");
            assertEquals(16 * 2 + 4, ImageIO.read(out.resolve("0000-" + id + "-heads.png").toFile()).getWidth());
            assertEquals(16, new Embedder(loaded).embed(List.of(first))[0].length, "embed takes a ViT too");
        }
    }

    @Test
    void aResNetCheckpointIsRefusedWithWhatToDo() throws Exception {
        FileObjectStore store = CheckpointFixtures.publish(dir.resolve("ckpt"));
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertEquals(1, AttentionCommand.run(List.of("--checkpoint", store.location(), "--images", "synthetic",
                    "--out", dir.resolve("maps").toString())));
        } finally {
            System.setErr(old);
        }
        String message = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(message.contains("attention maps need a ViT checkpoint"), message);
        assertFalse(Files.exists(dir.resolve("maps")), "nothing written");
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
