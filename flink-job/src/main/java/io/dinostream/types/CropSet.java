package io.dinostream.types;


import java.util.List;

/**
 * The DINO views of one source image (Caron et al. 2021, sec. 3.1, "multi-crop"): global views
 * first (the teacher sees only these), then local views. Views stay 8-bit; normalisation happens
 * on the trainer's device.
 */
public final class CropSet {

    private final String sourceId;
    private final SourcePosition position;
    private final List<RgbImage> globalViews;
    private final List<RgbImage> localViews;
    private final long replay;

    public CropSet(String sourceId, List<RgbImage> globalViews, List<RgbImage> localViews) {
        this(sourceId, null, globalViews, localViews);
    }

    /** Views of the image read at {@code position} (null when it did not come from Kafka). */
    public CropSet(
            String sourceId,
            SourcePosition position,
            List<RgbImage> globalViews,
            List<RgbImage> localViews) {
        this(sourceId, position, globalViews, localViews, 0);
    }

    /**
     * Views of the image read at {@code position}; {@code replay} is 0 for an image as it arrived,
     * n > 0 for the views of the replay stage's n-th replayed image.
     */
    public CropSet(
            String sourceId,
            SourcePosition position,
            List<RgbImage> globalViews,
            List<RgbImage> localViews,
            long replay) {
        if (replay < 0) {
            throw new IllegalArgumentException("a replay number is 0 (not a replay) or positive, got " + replay);
        }
        if (globalViews.isEmpty()) {
            throw new IllegalArgumentException("a crop set needs at least one global view");
        }
        requireSameSize(globalViews, "global");
        requireSameSize(localViews, "local");
        this.sourceId = sourceId;
        this.position = position;
        this.globalViews = List.copyOf(globalViews);
        this.localViews = List.copyOf(localViews);
        this.replay = replay;
    }

    public String sourceId() {
        return sourceId;
    }

    /** Where the source image was read, or null. */
    public SourcePosition position() {
        return position;
    }

    /** The same views, tagged with where their source image was read. */
    public CropSet at(SourcePosition position) {
        return new CropSet(sourceId, position, globalViews, localViews, replay);
    }

    /** The same views, marked as those of the replay stage's n-th replay (0: not a replay). */
    public CropSet asReplay(long n) {
        return new CropSet(sourceId, position, globalViews, localViews, n);
    }

    /** 0 for an image as it arrived, n > 0 for the replay stage's n-th replay. */
    public long replay() {
        return replay;
    }

    /** True when these are views of an image the replay stage sent again. */
    public boolean isReplay() {
        return replay > 0;
    }

    public List<RgbImage> globalViews() {
        return globalViews;
    }

    public List<RgbImage> localViews() {
        return localViews;
    }

    /** Total number of views, global and local. */
    public int viewCount() {
        return globalViews.size() + localViews.size();
    }

    private static void requireSameSize(List<RgbImage> views, String kind) {
        for (RgbImage v : views) {
            if (v.width() != views.get(0).width() || v.height() != views.get(0).height()) {
                throw new IllegalArgumentException(
                        "all " + kind + " views must have one size, got " + views);
            }
        }
    }
}
