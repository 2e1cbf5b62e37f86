package io.dinostream.datasets;

import io.dinostream.proto.ImageEvent;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends the images of an {@link ImageSources} spec to a Kafka topic as {@link ImageEvent} records
 * keyed by their id, at a given rate, once or in a loop: the demo's producer, and the {@code
 * produce} command's for any Kafka.
 *
 * @param dataset an {@link ImageSources} spec
 * @param topic the topic to write
 * @param rate images per second, 0 for as fast as the broker takes them
 * @param loop start the dataset over when it ends
 * @param limit stop after this many images, 0 for no limit
 * @param seed seeds the synthetic images and the order's choices
 * @param order a {@link StreamOrder} spec: {@code file} sends the dataset as read
 */
public record DatasetProducer(String dataset, String topic, double rate, boolean loop, long limit, long seed,
        String order) {

    /** What a run did: images handed to the producer, acknowledged by the broker, failed. */
    public record Result(long sent, long acknowledged, long failed, Exception firstFailure) {}

    /** A producer that sends the dataset in file order. */
    public DatasetProducer(String dataset, String topic, double rate, boolean loop, long limit, long seed) {
        this(dataset, topic, rate, loop, limit, seed, "file");
    }

    public DatasetProducer {
        StreamOrder.parse(order); // a bad order fails here, before Kafka
        if (!(rate >= 0)) {
            throw new IllegalArgumentException("rate must be >= 0 images per second (0: as fast as possible), got " + rate);
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0 (0: none), got " + limit);
        }
    }

    /**
     * Sends until the dataset ends (when not looping), the limit is reached, {@code stop} is set or
     * the thread is interrupted; then waits for every send to be acknowledged or failed.
     *
     * @param kafka producer properties (bootstrap.servers at least); serializers are set here
     * @param sent counts images handed to the producer, as they go (the demo prints it)
     */
    public Result run(Properties kafka, AtomicBoolean stop, AtomicLong sent) {
        Properties p = new Properties();
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.putAll(kafka);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long t0 = System.nanoTime();
        StreamOrder streamOrder = StreamOrder.parse(order);
        long pass = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            do {
                try (ImageSource source = streamOrder.apply(ImageSources.open(dataset, seed), seed, pass++)) {
                    while (!stop.get() && source.hasNext() && (limit == 0 || sent.get() < limit)) {
                        ImageEvent event = source.next();
                        producer.send(new ProducerRecord<>(topic, event.getId().getBytes(StandardCharsets.UTF_8),
                                event.toByteArray()), (metadata, e) -> {
                                    if (e == null) {
                                        acknowledged.incrementAndGet();
                                    } else {
                                        failed.incrementAndGet();
                                        firstFailure.compareAndSet(null, e);
                                    }
                                });
                        long n = sent.incrementAndGet();
                        if (rate > 0) {
                            long wait = t0 + (long) (n / rate * 1e9) - System.nanoTime();
                            if (wait > 0) {
                                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                            }
                        }
                    }
                }
            } while (loop && !stop.get() && (limit == 0 || sent.get() < limit));
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) { // e.g. no broker within max.block.ms, a source that cannot be read
            firstFailure.compareAndSet(null, e);
        }
        return new Result(sent.get(), acknowledged.get(), failed.get(), firstFailure.get());
    }
}
