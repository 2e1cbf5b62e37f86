package io.dinostream.model;

import ai.djl.Device;

import java.util.Locale;

/**
 * Where libtorch runs a network: {@code auto} (the first GPU when the loaded libtorch has one, else
 * the CPU), {@code cpu}, {@code gpu} (the first GPU) or {@code gpu:N}. A value is parsed where the
 * options are read (the client); {@link #resolve()} runs where the network is built (the
 * TaskManager), against the libtorch loaded there, and refuses a GPU that libtorch cannot use with
 * a message naming that libtorch and how to get a CUDA one.
 *
 * @param gpu whether a GPU is asked for ({@code gpu}, {@code gpu:N})
 * @param index the GPU's index, or -1 for {@code auto} and {@code cpu}
 * @param auto whether the choice is left to the engine
 */
public record DeviceChoice(boolean gpu, int index, boolean auto) implements java.io.Serializable {

    /** The forms {@link #parse} takes, for help texts. */
    public static final String FORMS = "auto (a GPU when libtorch has one), cpu, gpu or gpu:N";

    public static final DeviceChoice AUTO = new DeviceChoice(false, -1, true);
    public static final DeviceChoice CPU = new DeviceChoice(false, -1, false);

    public DeviceChoice {
        if (gpu && (auto || index < 0)) {
            throw new IllegalArgumentException("a GPU choice needs an index >= 0 and is not auto");
        }
    }

    /** Parses auto, cpu, gpu, gpu:N (any case). */
    public static DeviceChoice parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "auto":
                return AUTO;
            case "cpu":
                return CPU;
            case "gpu":
            case "cuda":
                return new DeviceChoice(true, 0, false);
            default:
                break;
        }
        if (t.startsWith("gpu:") || t.startsWith("cuda:")) {
            try {
                int index = Integer.parseInt(t.substring(t.indexOf(':') + 1));
                if (index >= 0) {
                    return new DeviceChoice(true, index, false);
                }
            } catch (NumberFormatException e) {
                // refused below
            }
        }
        throw new IllegalArgumentException("device must be " + FORMS + ", got '" + text + "'");
    }

    /** Whether the CPU is asked for by name (auto may still land there). */
    public boolean cpu() {
        return !gpu && !auto;
    }

    /** The device on this JVM's libtorch (loading it if need be). */
    public Device resolve() {
        return resolve(LibTorch.loaded());
    }

    /**
     * The device on libtorch: auto takes GPU 0 when libtorch sees one.
     *
     * @throws IllegalStateException when a GPU is asked for and libtorch has none, or fewer than
     *     index + 1; the message names the libtorch loaded and how to get a CUDA one
     */
    public Device resolve(LibTorch libtorch) {
        if (auto) {
            return libtorch.gpuCount() > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (!gpu) {
            return Device.cpu();
        }
        if (libtorch.gpuCount() == 0) {
            throw new IllegalStateException("device " + this + " was asked for, but the libtorch loaded can use no"
                    + " GPU: " + libtorch.describe() + ". "
                    + (libtorch.cudaBuild()
                            ? "It is a CUDA build, so the GPU or its driver is missing: check nvidia-smi on the"
                                    + " machine, and that the container was given a GPU (nvidia.com/gpu on"
                                    + " Kubernetes, --gpus with Docker)."
                            : LibTorch.HOW_TO_GET_CUDA + ".")
                    + " Or train on the CPU with --train.device cpu (or auto).");
        }
        if (index >= libtorch.gpuCount()) {
            throw new IllegalStateException("device " + this + " was asked for, but the libtorch loaded sees "
                    + libtorch.gpuCount() + (libtorch.gpuCount() == 1 ? " GPU" : " GPUs") + " (gpu:0"
                    + (libtorch.gpuCount() > 1 ? " to gpu:" + (libtorch.gpuCount() - 1) : "") + "): "
                    + libtorch.describe());
        }
        return Device.gpu(index);
    }

    @Override
    public String toString() {
        return auto ? "auto" : gpu ? "gpu:" + index : "cpu";
    }
}
