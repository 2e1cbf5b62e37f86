package io.dinostream.publish;

import io.dinostream.types.ModelSnapshot;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The publisher: writes each {@link ModelSnapshot} to the object store with
 * {@link CheckpointPublisher}. It runs as its own task, so uploads never hold the training thread;
 * a write completes (with retries) before the next checkpoint barrier passes, and when the store
 * stays unreachable past the retries the task fails and Flink restarts from the last checkpoint, so
 * a snapshot is never dropped silently.
 */
public final class PublishCheckpoints implements Sink<ModelSnapshot> {

    private static final long serialVersionUID = 1L;

    /** Counter of upload attempts that failed and were tried again. */
    public static final String RETRIES_METRIC = "publishRetries";

    private final String uri;
    private final S3Settings s3;
    private final Map<String, String> config;
    private final int attempts;

    public PublishCheckpoints(String uri, S3Settings s3, Map<String, String> config, int attempts) {
        this.uri = uri;
        this.s3 = s3;
        this.config = new java.util.TreeMap<>(config);
        this.attempts = attempts;
    }

    @Override
    public SinkWriter<ModelSnapshot> createWriter(WriterInitContext context) throws IOException {
        ObjectStore store = ObjectStores.open(uri, s3);
        Counter retries = context.metricGroup().counter(RETRIES_METRIC);
        CheckpointPublisher publisher = new CheckpointPublisher(store, config, attempts, 1000, retries::inc);
        Counter published = context.metricGroup().counter("checkpointsPublished");
        AtomicLong lastPublished = new AtomicLong(-1);
        context.metricGroup().gauge("lastPublishedStep", lastPublished::get);
        return new SinkWriter<>() {
            @Override
            public void write(ModelSnapshot snapshot, Context ctx) throws IOException, InterruptedException {
                publisher.publish(snapshot);
                published.inc();
                lastPublished.set(snapshot.step());
            }

            @Override
            public void flush(boolean endOfInput) {
                // write() returns only once the checkpoint is stored
            }

            @Override
            public void close() throws IOException {
                store.close();
            }
        };
    }
}
