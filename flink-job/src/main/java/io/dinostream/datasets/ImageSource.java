package io.dinostream.datasets;

import io.dinostream.proto.ImageEvent;
import java.util.Iterator;

/**
 * A finite (a dataset on disk) or endless (synthetic) stream of {@link ImageEvent}s, as a producer
 * would write them to the input topic. Lets the local runner, the load generator and tests feed the
 * job from a dataset without Kafka. Not thread-safe; {@link #close()} releases open files and may be
 * called more than once.
 *
 * <p>{@link #next()} throws {@link java.util.NoSuchElementException} past the end and {@link
 * java.io.UncheckedIOException} when the underlying files cannot be read.
 */
public interface ImageSource extends Iterator<ImageEvent>, AutoCloseable {

    /** Releases open files; does not throw checked exceptions. */
    @Override
    void close();
}
