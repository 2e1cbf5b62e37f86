package io.dinostream.monitor;

import io.dinostream.types.DecodedImage;
import io.dinostream.types.StreamTypes;
import io.dinostream.util.SeededRandom;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Holds a slice of the labelled images out of training for the online monitor: an image whose
 * event has a label and whose id falls in the held-out {@code percent} (a hash of the id, so the
 * same event is held out every time it is read, replays and repeated datasets included) goes to
 * the {@link #PROBES} side output and is never trained on; every other image passes on unchanged.
 * Unlabelled images are always trained on. Counter {@code probesHeldOut}.
 */
public final class HoldOutProbes extends ProcessFunction<DecodedImage, DecodedImage> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<DecodedImage> PROBES = new OutputTag<>("probes", StreamTypes.DECODED_IMAGE);

    /** Salt of the id hash, so the held-out slice does not line up with other id-keyed choices. */
    private static final long SALT = 0x5EED_0F_9B0BE5L;

    private final double percent;
    private transient Counter heldOut;

    /** @param percent share of labelled images held out, 0 to 100 */
    public HoldOutProbes(double percent) {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("the held-out percentage must be in [0, 100], got " + percent);
        }
        this.percent = percent;
    }

    /** Whether an image with this id and label is held out at this percentage. */
    public static boolean isHeldOut(String id, String label, double percent) {
        return !label.isEmpty() && SeededRandom.forKey(SALT, id).nextDouble() * 100 < percent;
    }

    @Override
    public void open(OpenContext openContext) {
        heldOut = getRuntimeContext().getMetricGroup().counter("probesHeldOut");
    }

    @Override
    public void processElement(DecodedImage image, Context ctx, Collector<DecodedImage> out) {
        if (isHeldOut(image.id(), image.label(), percent)) {
            heldOut.inc();
            ctx.output(PROBES, image);
        } else {
            out.collect(image);
        }
    }
}
