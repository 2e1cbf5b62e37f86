package io.dinostream.monitor;

import io.dinostream.config.Option;
import io.dinostream.config.OptionValues;
import java.util.List;

/**
 * The online k-NN monitor ({@code monitor.*}): where its probe images come from ({@link
 * HoldOutProbes} of the stream, a labelled image source, or off), what share of the stream's
 * labelled images it holds out, and how many probes {@link ProbeMonitor} keeps. Immutable and
 * checked when built.
 *
 * @param probe {@value ProbeMonitor#FROM_STREAM}, {@value #OFF}, or an image source of labelled
 *     files (idx:PATH, folder:PATH)
 * @param holdOutPercent with probes from the stream: share of labelled images held out, 0-100
 * @param probeSize most probe images kept
 */
public record MonitorSettings(String probe, double holdOutPercent, int probeSize) {

    /** {@link #probe()} that turns the monitor off. */
    public static final String OFF = "off";

    public static final Option<String> PROBE = Option.text("monitor.probe", ProbeMonitor.FROM_STREAM,
            "online k-NN monitor probes: stream (labelled images held out of training), an image source of"
                    + " labelled files (idx:PATH, folder:PATH), or off")
            .mustBe(MonitorSettings::isProbeSource, "stream, off, idx:PATH or folder:PATH");
    public static final Option<Double> HOLDOUT_PERCENT = Option.number("monitor.holdout-percent", "2",
            "with --monitor.probe stream: share of labelled images held out, 0-100").between(0, 100);
    public static final Option<Integer> PROBE_SIZE = Option.integer("monitor.probe-size", "1000",
            "most probe images kept (a uniform sample of those seen)").positive();

    /** The monitor.* options, in help order. */
    public static final List<Option<?>> OPTIONS = List.of(PROBE, HOLDOUT_PERCENT, PROBE_SIZE);

    public MonitorSettings {
        probe = PROBE.require(probe.trim());
        HOLDOUT_PERCENT.require(holdOutPercent);
        PROBE_SIZE.require(probeSize);
    }

    /** The monitor.* options' values. */
    public static MonitorSettings from(OptionValues values) {
        return new MonitorSettings(values.get(PROBE), values.get(HOLDOUT_PERCENT), values.get(PROBE_SIZE));
    }

    /** Whether the job scores snapshots at all. */
    public boolean enabled() {
        return !probe.equals(OFF);
    }

    /** The share of labelled images the job holds out of training: 0 unless the probes come from the stream. */
    public double heldOutPercent() {
        return probe.equals(ProbeMonitor.FROM_STREAM) ? holdOutPercent : 0;
    }

    private static boolean isProbeSource(String probe) {
        // synthetic: the test sources of ImageSources, accepted though not advertised
        return probe.equals(ProbeMonitor.FROM_STREAM) || probe.equals(OFF) || probe.startsWith("idx:")
                || probe.startsWith("folder:") || probe.startsWith("synthetic");
    }
}
