package io.dinostream.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.dinostream.model.Safetensors;
import io.dinostream.publish.CheckpointFixtures;
import io.dinostream.publish.CheckpointLoader;
import io.dinostream.publish.LoadedCheckpoint;
import io.dinostream.types.RgbImage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Features of images from a loaded checkpoint's teacher backbone. */
class EmbedderTest {

    @TempDir static Path dir;
    static LoadedCheckpoint checkpoint;

    @BeforeAll
    static void load() throws Exception {
        checkpoint = CheckpointLoader.load(CheckpointFixtures.publish(dir), "latest");
    }

    @AfterAll
    static void close() {
        checkpoint.close();
    }

    /** 6 images of 24 px (resized to 16) and 2 of 16 px (used as they are). */
    private static List<RgbImage> images() {
        List<RgbImage> images = new ArrayList<>(CheckpointFixtures.images(6, 24, 3));
        images.addAll(CheckpointFixtures.images(2, 16, 4));
        return images;
    }

    @Test
    void theSameImagesGiveTheSameFeaturesBitForBit() {
        Embedder embedder = new Embedder(checkpoint);
        float[][] first = embedder.embed(images());
        float[][] second = embedder.embed(images());
        assertEquals(8, first.length);
        for (int i = 0; i < first.length; i++) {
            assertArrayEquals(first[i], second[i], "image " + i);
        }
    }

    @Test
    void rowsHaveTheBackbonesDimensionAndDifferentImagesDifferentFeatures() {
        float[][] features = new Embedder(checkpoint).embed(images());
        for (float[] row : features) {
            assertEquals(checkpoint.featureDim(), row.length);
            assertEquals(32, row.length);
            for (float v : row) {
                assertTrue(Float.isFinite(v));
            }
        }
        for (int i = 0; i < features.length; i++) {
            for (int j = i + 1; j < features.length; j++) {
                assertFalse(Arrays.equals(features[i], features[j]), "images " + i + " and " + j);
            }
        }
    }

    @Test
    void evalModeMakesAnImagesFeatureIndependentOfItsBatchAndLeavesTheModelAlone() {
        Map<String, byte[]> before = state();
        float[][] together = new Embedder(checkpoint).embed(images());
        float[][] inThrees = new Embedder(checkpoint, 3).embed(images());
        float[][] alone = new Embedder(checkpoint).embed(images().subList(5, 6));
        for (int i = 0; i < together.length; i++) {
            assertArrayEquals(together[i], inThrees[i], 1e-5f, "image " + i);
        }
        assertArrayEquals(together[5], alone[0], 1e-5f);
        Map<String, byte[]> after = state();
        before.forEach((name, bytes) -> assertArrayEquals(bytes, after.get(name), name + " unchanged"));
    }

    @Test
    void aThreadThatNeverTouchedDjlGetsTheSameFeatures() throws Exception {
        float[][] here = new Embedder(checkpoint).embed(images());
        AtomicReference<Object> there = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                there.set(new Embedder(checkpoint).embed(images()));
            } catch (Throwable t) {
                there.set(t);
            }
        });
        thread.start();
        thread.join();
        if (there.get() instanceof Throwable t) {
            throw new AssertionError(t);
        }
        float[][] features = (float[][]) there.get();
        for (int i = 0; i < here.length; i++) {
            assertArrayEquals(here[i], features[i], "image " + i);
        }
    }

    @Test
    void noImagesGiveNoRows() {
        assertEquals(0, new Embedder(checkpoint).embed(List.of()).length);
    }

    private static Map<String, byte[]> state() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : checkpoint.backbone().stateDict().entrySet()) {
            out.put(e.getKey(), Safetensors.toTensor(e.getValue()).data());
        }
        return out;
    }
}
