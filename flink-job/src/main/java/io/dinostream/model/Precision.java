package io.dinostream.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import java.util.Locale;

/**
 * The arithmetic a training step runs in. {@code fp32}: everything in float32, as the oracle tests
 * replay. {@code bf16}: mixed precision in the manner of {@code torch.autocast(dtype=bfloat16)} with
 * float32 master weights (Micikevicius et al. 2018, "Mixed Precision Training"): the forward
 * passes and the backward run on bfloat16 copies of the weights (BatchNorm's parameters and
 * statistics stay float32, as autocast leaves them), the loss takes the networks' outputs into
 * float32 for its softmaxes and the center, and the optimiser, its moments, the EMA teacher and the
 * saved state are float32.
 *
 * <p>bf16 runs on a GPU only. DJL 0.36's JNI maps no bfloat16 dtype (creating or converting to
 * one terminates the JVM), so it also needs a JNI built with bench/djl-jni-bfloat16.patch, which
 * bench/gpu-check.sh builds; {@link #check} refuses it otherwise, before any bfloat16 tensor exists.
 */
public enum Precision {
    FP32,
    BF16;

    /** The forms {@link #parse} takes, for help texts. */
    public static final String FORMS = "fp32 or bf16 (GPU only: mixed precision, float32 master weights)";

    public static Precision parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "fp32":
            case "float32":
                return FP32;
            case "bf16":
            case "bfloat16":
                return BF16;
            default:
                throw new IllegalArgumentException("precision must be " + FORMS + ", got '" + text + "'");
        }
    }

    /** The type of the forward passes' weights and activations. */
    public DataType computeType() {
        return this == BF16 ? DataType.BFLOAT16 : DataType.FLOAT32;
    }

    /** Refuses bf16 on the CPU by name: known before libtorch is loaded. */
    public void checkChoice(DeviceChoice device) {
        if (this == BF16 && device.cpu()) {
            throw new IllegalArgumentException(cpuRefusal("--train.device cpu"));
        }
    }

    /**
     * Refuses bf16 where it cannot run: on the CPU, or with a JNI that maps no bfloat16.
     *
     * @throws IllegalStateException naming the device or the JNI, and what to do
     */
    public void check(Device device, LibTorch libtorch) {
        if (this != BF16) {
            return;
        }
        if (!device.isGpu()) {
            throw new IllegalStateException(cpuRefusal("the device is " + device + " (" + libtorch.describe() + ")"));
        }
        if (!libtorch.jniMapsBfloat16()) {
            throw new IllegalStateException("--train.precision bf16: the DJL JNI loaded ("
                    + (libtorch.jniLibrary().isEmpty() ? "not found in this process's memory map" : libtorch.jniLibrary())
                    + ") is DJL 0.36's own, which maps no bfloat16 dtype: the first bfloat16 tensor would terminate the"
                    + " JVM. Build the JNI with bench/djl-jni-bfloat16.patch against this libtorch (bench/gpu-check.sh"
                    + " shows how) and put it where DJL looks first (its cache folder, see the README), or train with"
                    + " --train.precision fp32");
        }
    }

    private static String cpuRefusal(String why) {
        return "--train.precision bf16 runs on a GPU only, but " + why + ": DJL 0.36 cannot make bfloat16 tensors"
                + " (its JNI maps no bfloat16 dtype and terminates the JVM on the first one). Train on the CPU with"
                + " --train.precision fp32, or on a GPU with --train.device gpu";
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
