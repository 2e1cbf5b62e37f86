package io.dinostream.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

import java.util.List;

/**
 * The libtorch side of one training step: every array the step creates lives on a sub-manager of
 * the trainer's (or in an {@link NDScope}, for arrays DJL attaches elsewhere) and is closed when the
 * step ends, so memory stays flat over any number of steps; autograd is off except inside
 * {@link #recordGradients()}.
 */
final class StepScope implements AutoCloseable {

    private final NDManager manager;
    private final NDScope arrays;

    private StepScope(NDManager manager, NDScope arrays) {
        this.manager = manager;
        this.arrays = arrays;
    }

    /** A scope for one step of a trainer whose arrays live on owner. */
    static StepScope open(NDManager owner) {
        // Autograd mode is per thread and on by default in libtorch; DJL turns it off only on the
        // thread that loaded the engine. Off here, on inside the gradient collector.
        JniUtils.setGradMode(false);
        NDManager manager = owner.newSubManager();
        return new StepScope(manager, new NDScope());
    }

    /** Every view of the batch as one tensor each (B, …), global views first, on this step's manager. */
    List<NDArray> views(DinoBatch batch, DataType dataType) {
        return batch.views(manager, dataType);
    }

    /** Records the graph of what runs inside it, for {@code backward} (PyTorch allows one per JVM at a time). */
    GradientCollector recordGradients() {
        return Engine.getInstance().newGradientCollector();
    }

    /** A scalar tensor's value on the host, as {@code tensor.item()}. */
    static double item(NDArray scalar) {
        return scalar.toType(DataType.FLOAT64, false).getDouble();
    }

    @Override
    public void close() {
        arrays.close();
        manager.close();
    }
}
