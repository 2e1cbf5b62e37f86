package io.dinostream.replay;

import io.dinostream.types.DecodedImage;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The replay stage (parallelism 1, between the hold-out of probes and the multi-crop): passes each
 * new image on and mixes in images replayed from a bounded buffer, so that the trainer's batches
 * are not all from the stream's current run (see {@link ReplayBuffer}). Replays are decoded images,
 * so the multi-crop gives them fresh views.
 *
 * <p>The buffer is Flink keyed state under one key ({@link #KEY}; the stream is keyed by it): the
 * images in a {@link MapState} by slot, their metadata in another, the counters in a {@link
 * ValueState}. Under the heap backend that is all on the heap; under RocksDB (or ForSt) the images
 * live in the backend's files and only the metadata index (tens of bytes an image, plus MinRed's
 * 64 floats) is held on the heap, so the buffer can be larger than the heap. It is checkpointed with
 * the job and continues exactly after a restore.
 *
 * <p>Gauges: {@code replayBufferImages}, {@code replayBufferBytes}, {@code replayBufferFill} (images /
 * capacity), {@code replayMeanAge} and {@code replayMaxAge} (in images seen since an image was
 * stored), {@code replayLabels} (distinct labels stored, for labelled streams) and {@code
 * replayLabelEntropy} (nats; ln of the number of classes when they are balanced), {@code replaysSent},
 * {@code shuffleWindowImages} (new images held by the shuffle window, {@code --replay.shuffle-window}),
 * {@code imagesStale} (images not sent to the trainer because their Kafka record was older than
 * {@code --replay.max-lag} when it arrived, since the job started from empty state) and {@code
 * recordLagSeconds} (how old the last image's Kafka record was when it arrived: how far the job lags
 * its stream). While images are stale the log says so, at most once a minute.
 *
 * <p>The shuffle window holds new images and sends them on in random order (a shuffle buffer), so
 * that a batch mixes images up to that far apart in the stream. Held images are operator state:
 * checkpointed with the job, sent after a restore, never lost.
 */
public final class ReplayStage extends KeyedProcessFunction<Integer, DecodedImage, DecodedImage> {

    private static final long serialVersionUID = 1L;

    /** The one key the stream into this stage is keyed by. */
    public static final int KEY = 0;

    /**
     * Least time between two recomputations of the gauges' figures, on the task thread. By time, not
     * by images: a recomputation walks the whole buffer (~0.5 ms for 10,000 images), which every 64
     * images doubled what a stale image costs a job skipping through a backlog.
     */
    private static final long STATS_EVERY_MS = 1_000;

    /** Least time between two log lines about stale images. */
    private static final long STALE_LOG_EVERY_MS = 60_000;

    private static final Logger LOG = LoggerFactory.getLogger(ReplayStage.class);

    private final ReplaySettings settings;
    private final long seed;

    private transient ReplayBuffer buffer;
    private transient volatile ReplayBuffer.Stats stats;
    private transient long nextStatsAt;
    private transient volatile double lagSeconds;
    private transient long staleLogged;
    private transient long staleLoggedAt;

    public ReplayStage(ReplaySettings settings, long seed) {
        this.settings = settings;
        this.seed = seed;
    }

    /** Keys every image by {@link #KEY}. */
    public static final class OneKey implements KeySelector<DecodedImage, Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer getKey(DecodedImage value) {
            return KEY;
        }
    }

    @Override
    public void open(OpenContext openContext) {
        MapState<Integer, byte[]> images = getRuntimeContext().getMapState(new MapStateDescriptor<>(
                "replay-images", Types.INT, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        MapState<Integer, byte[]> metas = getRuntimeContext().getMapState(new MapStateDescriptor<>(
                "replay-meta", Types.INT, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        ValueState<long[]> counters = getRuntimeContext().getState(new ValueStateDescriptor<>(
                "replay-counters", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
        MapState<Integer, byte[]> held = getRuntimeContext().getMapState(new MapStateDescriptor<>(
                "replay-window", Types.INT, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        buffer = new ReplayBuffer(settings, seed, new FlinkStore(images, metas, counters, held));
        stats = ReplayBuffer.Stats.EMPTY;
        MetricGroup m = getRuntimeContext().getMetricGroup();
        m.gauge("replayBufferImages", (Gauge<Integer>) () -> stats.size());
        m.gauge("replayBufferBytes", (Gauge<Long>) () -> stats.bytes());
        gauge(m, "replayBufferFill", s -> (double) s.size() / settings.capacity());
        gauge(m, "replayMeanAge", ReplayBuffer.Stats::meanAge);
        m.gauge("replayMaxAge", (Gauge<Long>) () -> stats.maxAge());
        m.gauge("replayLabels", (Gauge<Integer>) () -> stats.labels());
        gauge(m, "replayLabelEntropy", ReplayBuffer.Stats::labelEntropy);
        m.gauge("replaysSent", (Gauge<Long>) () -> stats.replays());
        m.gauge("shuffleWindowImages", (Gauge<Integer>) () -> stats.held());
        m.gauge("imagesStale", (Gauge<Long>) () -> stats.stale());
        m.gauge("recordLagSeconds", (Gauge<Double>) () -> lagSeconds);
    }

    private void gauge(MetricGroup m, String name, ToDoubleFunction<ReplayBuffer.Stats> value) {
        m.gauge(name, (Gauge<Double>) () -> value.applyAsDouble(stats));
    }

    @Override
    public void processElement(DecodedImage image, Context ctx, Collector<DecodedImage> out) {
        long now = ctx.timerService().currentProcessingTime();
        if (image.time() != DecodedImage.NO_TIME) {
            lagSeconds = (now - image.time()) / 1000.0;
        }
        buffer.offer(image, now, out::collect);
        if (settings.stateful() && now >= nextStatsAt) {
            nextStatsAt = now + STATS_EVERY_MS;
            stats = buffer.stats();
            logStale(now);
        }
    }

    /** Says, at most once a minute, how many images went stale since it last said so. */
    private void logStale(long now) {
        long stale = stats.stale();
        if (stale > staleLogged && now - staleLoggedAt >= STALE_LOG_EVERY_MS) {
            LOG.info("the job lags its stream by {} s, more than --replay.max-lag {} s: {} stale images since the last"
                    + " report ({} in all) went {}", String.format("%.0f", lagSeconds), settings.maxLag(),
                    stale - staleLogged, stale, settings.enabled() ? "into the replay buffer only" : "untrained");
            staleLogged = stale;
            staleLoggedAt = now;
        }
    }

    /** The buffer (for tests: its key must be the current one of the harness). */
    ReplayBuffer buffer() {
        return buffer;
    }

    /** The buffer's state in Flink keyed state, under the current key. */
    private static final class FlinkStore implements ReplayBuffer.Store {
        private final MapState<Integer, byte[]> images;
        private final MapState<Integer, byte[]> metas;
        private final ValueState<long[]> countersState;
        private final MapState<Integer, byte[]> held;

        FlinkStore(MapState<Integer, byte[]> images, MapState<Integer, byte[]> metas, ValueState<long[]> counters,
                MapState<Integer, byte[]> held) {
            this.images = images;
            this.metas = metas;
            this.countersState = counters;
            this.held = held;
        }

        @Override
        public byte[] held(int i) {
            return call(() -> held.get(i));
        }

        @Override
        public void held(int i, byte[] stored) {
            run(() -> held.put(i, stored));
        }

        @Override
        public void removeHeld(int i) {
            run(() -> held.remove(i));
        }

        @Override
        public long[] counters() {
            return call(countersState::value);
        }

        @Override
        public void counters(long[] values) {
            run(() -> countersState.update(values));
        }

        @Override
        public byte[] image(int slot) {
            return call(() -> images.get(slot));
        }

        @Override
        public void image(int slot, byte[] stored) {
            run(() -> images.put(slot, stored));
        }

        @Override
        public void removeImage(int slot) {
            run(() -> images.remove(slot));
        }

        @Override
        public void meta(int slot, byte[] meta) {
            run(() -> metas.put(slot, meta));
        }

        @Override
        public void removeMeta(int slot) {
            run(() -> metas.remove(slot));
        }

        @Override
        public Map<Integer, byte[]> metas() {
            return call(() -> {
                Map<Integer, byte[]> out = new HashMap<>();
                for (Map.Entry<Integer, byte[]> e : metas.entries()) {
                    out.put(e.getKey(), e.getValue());
                }
                return out;
            });
        }

        private interface StateCall<T> {
            T call() throws Exception;
        }

        private interface StateRun {
            void run() throws Exception;
        }

        private static <T> T call(StateCall<T> c) {
            try {
                return c.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("replay buffer state: " + e.getMessage(), e);
            }
        }

        private static void run(StateRun r) {
            call(() -> {
                r.run();
                return null;
            });
        }
    }
}
