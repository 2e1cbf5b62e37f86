package io.dinostream.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.ingest.ImageEncoding;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderSourceTest {

    @TempDir Path dir;

    @Test
    void listsImagesSortedAndLabelsThemByFirstLevelFolder() throws Exception {
        RgbImage image = new SyntheticImages(16, 10, 1).next().image();
        put("dogs/c.jpeg", ImageEncoding.jpeg(image, 0.9f));
        put("cats/b.jpg", ImageEncoding.jpeg(image, 0.9f));
        put("cats/a.png", ImageEncoding.png(image));
        put("dogs/puppies/d.PNG", ImageEncoding.png(image));
        put("root.png", ImageEncoding.png(image));
        put("cats/notes.txt", new byte[] {1, 2, 3});
        put("cats/._a.png", new byte[] {0}); // macOS resource fork
        put(".cache/e.png", ImageEncoding.png(image));

        List<ImageEvent> events = new ArrayList<>();
        try (ImageSource source = ImageSources.open("folder:" + dir, 0)) {
            assertEquals(5, ((FolderSource) source).size());
            source.forEachRemaining(events::add);
        }

        assertEquals(
                List.of("cats/a.png", "cats/b.jpg", "dogs/c.jpeg", "dogs/puppies/d.PNG", "root.png"),
                events.stream().map(ImageEvent::getId).toList());
        assertEquals(
                List.of("cats", "cats", "dogs", "dogs"),
                events.subList(0, 4).stream().map(ImageEvent::getLabel).toList());
        assertFalse(events.get(4).hasLabel());
        assertEquals(
                List.of(
                        ImageEvent.Encoding.PNG,
                        ImageEvent.Encoding.JPEG,
                        ImageEvent.Encoding.JPEG,
                        ImageEvent.Encoding.PNG,
                        ImageEvent.Encoding.PNG),
                events.stream().map(ImageEvent::getEncoding).toList());
        for (ImageEvent event : events) {
            RgbImage decoded = ImageDecoder.decode(event, DecodeLimits.defaults());
            assertEquals(16, decoded.width());
            assertEquals(16, decoded.height());
            if (event.getEncoding() == ImageEvent.Encoding.PNG) {
                assertEquals(image, decoded);
            }
        }
    }

    @Test
    void emptyOrMissingFoldersAreRefused() throws Exception {
        put("readme.txt", new byte[] {1});

        IllegalArgumentException empty =
                assertThrows(IllegalArgumentException.class, () -> FolderSource.open(dir));
        assertTrue(empty.getMessage().contains("no .jpg, .jpeg or .png files"), empty.getMessage());

        IllegalArgumentException missing =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> FolderSource.open(dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }

    private void put(String relative, byte[] data) throws IOException {
        Path path = dir.resolve(relative);
        Files.createDirectories(path.getParent());
        Files.write(path, data);
    }
}
