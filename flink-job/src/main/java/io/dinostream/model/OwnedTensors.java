package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Tensors from Java values whose memory libtorch owns, for everything that enters an autograd graph.
 *
 * <p>On the CPU, DJL 0.36 makes a tensor from Java values ({@code NDManager.create}, and the
 * number of {@code NDArray.mul}, {@code div}, {@code pow}, {@code maximum} and {@code minimum}
 * with a {@code Number}) over a direct ByteBuffer without copying it, and only the Java NDArray
 * keeps that buffer alive; {@code toType} to the array's own type, even with copy, hands back the
 * same memory. Autograd keeps what an operation's backward needs (the scale of
 * {@code scores.mul(scale)}, a drop-path mask, the divisor of {@code output.div(τ)}), so once the
 * Java array is closed (the Number overloads close theirs at once) a garbage collection between
 * the forward pass and {@code backward} frees memory the backward still reads, and the gradients
 * come out NaN or silently wrong. In the Flink job other threads fill the heap while the trainer
 * steps, so that collection does come: the ViT demo's first steps were skipped as non-finite.
 */
public final class OwnedTensors {

    private OwnedTensors() {}

    /**
     * value as a 0-d float64 tensor on like's manager and device, the tensor {@code like.mul(value)}
     * makes for a double (so results are the same bit for bit), but filled by libtorch.
     */
    public static NDArray scalar(NDArray like, double value) {
        return JniUtils.full((PtNDManager) like.getManager(), new Shape(), value, DataType.FLOAT64,
                like.getDevice(), SparseFormat.DENSE);
    }

    /** x · value, the value in libtorch's memory ({@code x.mul(value)} with a double, safe under autograd). */
    public static NDArray mul(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.mul(s);
        }
    }

    /** x / value, the value in libtorch's memory ({@code x.div(value)} with a double, safe under autograd). */
    public static NDArray div(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.div(s);
        }
    }

    /** max(x, value) elementwise, the value in libtorch's memory ({@code x.maximum(value)}, safe under autograd). */
    public static NDArray maximum(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.maximum(s);
        }
    }

    /** values as a tensor of type on manager, copied into memory libtorch owns. */
    public static NDArray of(NDManager manager, double[] values, Shape shape, DataType type) {
        try (NDArray host = manager.create(values, shape)) {
            return owned(host, type);
        }
    }

    /** values as a tensor of type on manager, copied into memory libtorch owns. */
    public static NDArray of(NDManager manager, float[] values, Shape shape, DataType type) {
        try (NDArray host = manager.create(values, shape)) {
            return owned(host, type);
        }
    }

    // duplicate() is a clone; toType to another type converts into new memory
    private static NDArray owned(NDArray host, DataType type) {
        return host.getDataType() == type ? host.duplicate() : host.toType(type, true);
    }
}
