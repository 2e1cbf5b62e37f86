package io.dinostream.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.ingest.DecodeLimits;
import io.dinostream.ingest.ImageDecoder;
import io.dinostream.proto.ImageEvent;
import io.dinostream.types.RgbImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticSourceTest {

    @Test
    void sameSeedGivesTheSameEvents() {
        assertEquals(take(ImageSources.open("synthetic", 42), 5), take(ImageSources.open("synthetic", 42), 5));
        assertNotEquals(take(ImageSources.open("synthetic", 42), 5), take(ImageSources.open("synthetic", 43), 5));
    }

    @Test
    void eventsArePngsOfThirtyTwoPixelsWithClassNames() throws Exception {
        Set<String> names = new HashSet<>(Arrays.asList(SyntheticImages.CLASS_NAMES));
        List<ImageEvent> events = take(ImageSources.open("synthetic", 7), 20);
        for (int i = 0; i < events.size(); i++) {
            ImageEvent event = events.get(i);
            assertEquals("synthetic-" + i, event.getId());
            assertEquals("synthetic", event.getSource());
            assertEquals(ImageEvent.Encoding.PNG, event.getEncoding());
            assertTrue(names.contains(event.getLabel()), event.getLabel());
            RgbImage image = ImageDecoder.decode(event, DecodeLimits.defaults());
            assertEquals(32, image.width());
            assertEquals(32, image.height());
            assertEquals(32, event.getWidth());
            assertEquals(32, event.getHeight());
        }
    }

    @Test
    void classCountLimitsTheLabels() {
        Set<String> allowed = Set.of(Arrays.copyOf(SyntheticImages.CLASS_NAMES, 3));
        Set<String> seen = new HashSet<>();
        for (ImageEvent event : take(ImageSources.open("synthetic:3", 1), 60)) {
            assertTrue(allowed.contains(event.getLabel()), event.getLabel());
            seen.add(event.getLabel());
        }
        assertEquals(allowed, seen);
    }

    private static List<ImageEvent> take(ImageSource source, int n) {
        List<ImageEvent> events = new ArrayList<>();
        try (source) {
            for (int i = 0; i < n; i++) {
                assertTrue(source.hasNext());
                events.add(source.next());
            }
        }
        return events;
    }
}
