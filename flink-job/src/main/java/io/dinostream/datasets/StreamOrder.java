package io.dinostream.datasets;

import io.dinostream.proto.ImageEvent;
import io.dinostream.util.SeededRandom;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The order in which a finite dataset is streamed, as real streams arrive: not shuffled.
 *
 * <ul>
 *   <li>{@code file}: as the files hold it (Fashion-MNIST's files are already in random class order);
 *   <li>{@code shuffled}: a seeded random permutation of the whole dataset, a new one each pass;
 *   <li>{@code class-runs:R}: runs of R images of one class, the classes in turn (sorted by label),
 *       round robin until every image is sent: {@code class-runs:6000} on Fashion-MNIST's training
 *       set sends each class once per pass, in one run of 6,000;
 *   <li>{@code class-incremental} or {@code class-incremental:P}: the classes join one at a time
 *       (sorted by label), each sending all its images in its phase, and the classes that joined
 *       earlier <em>continue at a lower rate</em>: a share P (default 0.1) of each later phase's images
 *       are drawn from the earlier classes (a uniformly chosen earlier class, its images in turn).
 *       Phase 0 is the first class alone.
 * </ul>
 *
 * Every order but {@code file} reads the whole dataset into memory first (Fashion-MNIST's 60,000
 * training images are ~50 MB as events) and so needs a finite source. Events without a label count
 * as one class, "". Labels sort numerically when they are numbers ("2" before "10").
 */
public final class StreamOrder {

    /** The accepted forms, quoted in errors. */
    public static final String FORMS = "file | shuffled | class-runs:R | class-incremental[:P]";

    /** Share of a class-incremental phase drawn from earlier classes when the spec gives none. */
    public static final double DEFAULT_OLD_SHARE = 0.1;

    private enum Kind { FILE, SHUFFLED, CLASS_RUNS, CLASS_INCREMENTAL }

    private final Kind kind;
    private final int runLength;
    private final double oldShare;
    private final String spec;

    private StreamOrder(Kind kind, int runLength, double oldShare, String spec) {
        this.kind = kind;
        this.runLength = runLength;
        this.oldShare = oldShare;
        this.spec = spec;
    }

    /** The order named by spec; throws IllegalArgumentException, naming the forms, for anything else. */
    public static StreamOrder parse(String spec) {
        String s = spec == null ? "" : spec.strip();
        if (s.equals("file")) {
            return new StreamOrder(Kind.FILE, 0, 0, s);
        }
        if (s.equals("shuffled")) {
            return new StreamOrder(Kind.SHUFFLED, 0, 0, s);
        }
        if (s.startsWith("class-runs:")) {
            int r;
            try {
                r = Integer.parseInt(s.substring("class-runs:".length()));
            } catch (NumberFormatException e) {
                r = 0;
            }
            if (r < 1) {
                throw new IllegalArgumentException("stream order '" + spec + "': the run length must be a whole number"
                        + " of images >= 1, e.g. class-runs:6000; use one of: " + FORMS);
            }
            return new StreamOrder(Kind.CLASS_RUNS, r, 0, s);
        }
        if (s.equals("class-incremental") || s.startsWith("class-incremental:")) {
            double p = DEFAULT_OLD_SHARE;
            if (s.contains(":")) {
                try {
                    p = Double.parseDouble(s.substring("class-incremental:".length()));
                } catch (NumberFormatException e) {
                    p = -1;
                }
                if (!(p >= 0 && p < 1)) {
                    throw new IllegalArgumentException("stream order '" + spec + "': the share of earlier classes must"
                            + " be in [0, 1), e.g. class-incremental:0.1; use one of: " + FORMS);
                }
            }
            return new StreamOrder(Kind.CLASS_INCREMENTAL, 0, p, s);
        }
        throw new IllegalArgumentException("unknown stream order '" + spec + "'; use one of: " + FORMS);
    }

    /** True for {@code file}: the source is passed through as it is. */
    public boolean asIs() {
        return kind == Kind.FILE;
    }

    /** The spec this order was parsed from. */
    @Override
    public String toString() {
        return spec;
    }

    /**
     * The source's events in this order. {@code pass} (0, 1, …) seeds the choices together with
     * {@code seed}, so that each pass of a looped dataset is shuffled anew and a run is reproducible.
     * Reads and closes the source (except for {@code file}, which returns it unchanged).
     */
    public ImageSource apply(ImageSource source, long seed, long pass) {
        if (kind == Kind.FILE) {
            return source;
        }
        List<ImageEvent> events = new ArrayList<>();
        try (source) {
            while (source.hasNext()) {
                events.add(source.next());
                if (events.size() > 50_000_000) {
                    throw new IllegalArgumentException("stream order " + spec + " needs a finite dataset (it reads it"
                            + " whole first); the source did not end after 50,000,000 images");
                }
            }
        }
        SeededRandom rng = new SeededRandom(seed ^ (0x5EED_0DE5L + 0x9E3779B97F4A7C15L * (pass + 1)));
        return new ListSource(events, order(events, rng));
    }

    /** Indices into events, in the order they are sent. */
    int[] order(List<ImageEvent> events, SeededRandom rng) {
        int n = events.size();
        return switch (kind) {
            case FILE -> identity(n);
            case SHUFFLED -> rng.permutation(n);
            case CLASS_RUNS -> classRuns(byClass(events));
            case CLASS_INCREMENTAL -> classIncremental(byClass(events), rng);
        };
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    /** Each class's event indices in file order, the classes sorted by label. */
    static List<List<Integer>> byClass(List<ImageEvent> events) {
        Map<String, List<Integer>> classes = new LinkedHashMap<>();
        for (int i = 0; i < events.size(); i++) {
            classes.computeIfAbsent(events.get(i).getLabel(), k -> new ArrayList<>()).add(i);
        }
        List<String> labels = new ArrayList<>(classes.keySet());
        labels.sort(LABEL_ORDER);
        List<List<Integer>> out = new ArrayList<>();
        for (String label : labels) {
            out.add(classes.get(label));
        }
        return out;
    }

    /** Numbers by value ("2" before "10"), then everything else as text. */
    public static final Comparator<String> LABEL_ORDER = (a, b) -> {
        boolean na = a.matches("-?\\d{1,18}");
        boolean nb = b.matches("-?\\d{1,18}");
        if (na && nb) {
            return Long.compare(Long.parseLong(a), Long.parseLong(b));
        }
        if (na != nb) {
            return na ? -1 : 1;
        }
        return a.compareTo(b);
    };

    private int[] classRuns(List<List<Integer>> classes) {
        int total = classes.stream().mapToInt(List::size).sum();
        int[] out = new int[total];
        int[] next = new int[classes.size()];
        int k = 0;
        while (k < total) {
            for (int c = 0; c < classes.size(); c++) {
                List<Integer> members = classes.get(c);
                for (int i = 0; i < runLength && next[c] < members.size(); i++) {
                    out[k++] = members.get(next[c]++);
                }
            }
        }
        return out;
    }

    private int[] classIncremental(List<List<Integer>> classes, SeededRandom rng) {
        List<Integer> out = new ArrayList<>();
        int[] nextOld = new int[classes.size()];
        for (int c = 0; c < classes.size(); c++) {
            for (int index : classes.get(c)) {
                // Before each of the new class's images, earlier classes get their share: the
                // expected number of old images per new one is P / (1 - P).
                while (c > 0 && rng.bernoulli(oldShare)) {
                    int old = rng.nextInt(c);
                    List<Integer> members = classes.get(old);
                    out.add(members.get(nextOld[old]++ % members.size()));
                }
                out.add(index);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Events held in memory, sent in a given order. */
    private static final class ListSource implements ImageSource {
        private final List<ImageEvent> events;
        private final int[] order;
        private int next;

        ListSource(List<ImageEvent> events, int[] order) {
            this.events = events;
            this.order = order;
        }

        @Override
        public boolean hasNext() {
            return next < order.length;
        }

        @Override
        public ImageEvent next() {
            if (!hasNext()) {
                throw new NoSuchElementException("all " + order.length + " images of this pass were sent");
            }
            return events.get(order[next++]);
        }

        @Override
        public void close() {
            next = order.length;
        }
    }
}
