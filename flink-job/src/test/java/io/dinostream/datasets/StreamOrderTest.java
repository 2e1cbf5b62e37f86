package io.dinostream.datasets;

import io.dinostream.proto.ImageEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamOrderTest {

    /** 3 classes "0", "1", "10" of 6 images each, interleaved as a shuffled dataset would be. */
    private static ImageSource dataset() {
        List<ImageEvent> events = new ArrayList<>();
        String[] labels = {"10", "0", "1"};
        for (int i = 0; i < 18; i++) {
            events.add(ImageEvent.newBuilder().setId("e" + i).setLabel(labels[i % 3]).build());
        }
        var it = events.iterator();
        return new ImageSource() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public ImageEvent next() {
                return it.next();
            }

            @Override
            public void close() {}
        };
    }

    private static List<String> labels(String order, long pass) {
        List<String> out = new ArrayList<>();
        try (ImageSource s = StreamOrder.parse(order).apply(dataset(), 7, pass)) {
            s.forEachRemaining(e -> out.add(e.getLabel()));
        }
        return out;
    }

    private static List<String> ids(String order, long pass) {
        List<String> out = new ArrayList<>();
        try (ImageSource s = StreamOrder.parse(order).apply(dataset(), 7, pass)) {
            s.forEachRemaining(e -> out.add(e.getId()));
        }
        return out;
    }

    @Test
    void classRunsSendRunsOfOneClassInLabelOrder() {
        assertEquals(List.of("0", "0", "0", "0", "0", "0", "1", "1", "1", "1", "1", "1",
                "10", "10", "10", "10", "10", "10"), labels("class-runs:6", 0));
        assertEquals(List.of("0", "0", "0", "0", "1", "1", "1", "1", "10", "10", "10", "10",
                "0", "0", "1", "1", "10", "10"), labels("class-runs:4", 0), "round robin until every image is sent");
        assertEquals(18, ids("class-runs:4", 0).stream().distinct().count());
    }

    @Test
    void shuffledIsAPermutationNewEachPassAndFileIsAsRead() {
        List<String> file = ids("file", 0);
        assertEquals(ids("file", 1), file);
        List<String> a = ids("shuffled", 0);
        assertEquals(ids("shuffled", 0), a, "reproducible");
        assertNotEquals(ids("shuffled", 1), a, "another pass, another order");
        assertEquals(new java.util.TreeSet<>(file), new java.util.TreeSet<>(a));
        assertNotEquals(file, a);
    }

    @Test
    void classIncrementalAddsClassesInTurnAndKeepsEarlierOnesAtALowerRate() {
        List<String> order = labels("class-incremental:0.3", 0);
        assertEquals("0", order.get(0));
        int firstOf10 = order.indexOf("10");
        assertTrue(order.subList(0, order.indexOf("1")).stream().allMatch("0"::equals), "class 0 alone first: " + order);
        assertTrue(order.subList(firstOf10, order.size()).contains("0") || order.subList(firstOf10, order.size()).contains("1"),
                "earlier classes continue: " + order);
        Map<String, Integer> counts = new HashMap<>();
        order.forEach(l -> counts.merge(l, 1, Integer::sum));
        assertEquals(6, counts.get("10"), "the newest class sends each of its images once: " + counts);
        assertTrue(order.size() > 18, "plus the earlier classes' share: " + order);
        assertEquals(labels("class-runs:6", 0), labels("class-incremental:0", 0), "with share 0 it is one run per class");
    }

    @Test
    void badOrdersAreRefusedNamingTheForms() {
        for (String bad : List.of("sorted", "class-runs:0", "class-runs:x", "class-incremental:1", "")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StreamOrder.parse(bad));
            assertTrue(e.getMessage().contains(StreamOrder.FORMS), e.getMessage());
        }
    }
}
