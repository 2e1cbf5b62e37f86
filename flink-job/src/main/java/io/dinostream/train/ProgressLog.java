package io.dinostream.train;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a progress line from the training reports at most every {@code intervalSeconds} (and on
 * non-finite steps): step, loss, lr, teacher entropy against ln K, images/s over the interval.
 */
public final class ProgressLog implements Sink<TrainingReport> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger("io.dinostream.progress");

    private final double intervalSeconds;
    private final int prototypes;

    public ProgressLog(double intervalSeconds, int prototypes) {
        this.intervalSeconds = intervalSeconds;
        this.prototypes = prototypes;
    }

    /** One progress line for a report, with the images/s the caller measured. */
    public static String line(TrainingReport r, double imagesPerSecond, int prototypes) {
        return String.format("step %d  loss %.4f  lr %.2e  teacher entropy %.2f / ln K %.2f  %.1f images/s  (%d images seen%s)",
                r.step() + 1, r.loss(), r.lr(), r.teacherEntropy(), Math.log(prototypes), imagesPerSecond,
                r.imagesSeen(), r.nonFiniteSteps() > 0 ? ", " + r.nonFiniteSteps() + " non-finite steps skipped" : "");
    }

    @Override
    public SinkWriter<TrainingReport> createWriter(WriterInitContext context) {
        return new SinkWriter<>() {
            private long windowStart = System.nanoTime();
            private long windowImages = -1;

            @Override
            public void write(TrainingReport r, Context ctx) {
                if (windowImages < 0) {
                    windowImages = r.imagesSeen() - r.batchSize();
                }
                double elapsed = (System.nanoTime() - windowStart) / 1e9;
                if (elapsed >= intervalSeconds || !r.applied()) {
                    LOG.info(line(r, (r.imagesSeen() - windowImages) / Math.max(elapsed, 1e-9), prototypes));
                    windowStart = System.nanoTime();
                    windowImages = r.imagesSeen();
                }
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }
}
