package io.dinostream.datasets;

import com.google.protobuf.UnsafeByteOperations;
import io.dinostream.ingest.ImageEncoding;
import io.dinostream.proto.ImageEvent;

/**
 * An endless stream of {@link SyntheticImages} as PNG-encoded {@link ImageEvent}s: needs no
 * dataset on disk, so demos, smoke tests and benchmarks run anywhere. Deterministic: the same seed
 * gives the same events. Event ids are {@code synthetic-0}, {@code synthetic-1}, ...; the label is
 * the class name ({@link SyntheticImages#CLASS_NAMES}).
 */
public final class SyntheticSource implements ImageSource {

    /** The {@code source} field of every event. */
    public static final String SOURCE = "synthetic";

    private final SyntheticImages images;
    private final int size;
    private long count;

    /**
     * @param size side of the square images, in pixels (at least 8)
     * @param classes number of classes, 2..10
     * @param seed seeds the generator
     */
    public SyntheticSource(int size, int classes, long seed) {
        this.images = new SyntheticImages(size, classes, seed);
        this.size = size;
    }

    /** Number of classes drawn from. */
    public int classes() {
        return images.classes();
    }

    /** Always true: the stream never ends. */
    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public ImageEvent next() {
        SyntheticImages.Labeled labeled = images.next();
        return ImageEvent.newBuilder()
                .setId(SOURCE + "-" + count++)
                .setSource(SOURCE)
                .setEncoding(ImageEvent.Encoding.PNG)
                .setWidth(size)
                .setHeight(size)
                .setData(UnsafeByteOperations.unsafeWrap(ImageEncoding.png(labeled.image())))
                .setLabel(SyntheticImages.CLASS_NAMES[labeled.label()])
                .build();
    }

    /** Nothing to release. */
    @Override
    public void close() {}
}
