package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.dinostream.model.Module;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The student's gradients after {@code backward}, by parameter name (views on the live
 * {@code .grad} tensors), and what main_dino.train_one_epoch does to them: clip each one
 * (utils.clip_gradients, {@link GradientClipping}) and drop the last layer's while it is frozen
 * (utils.cancel_gradients_last_layer). Closing zeroes every gradient for the next step, as
 * {@code optimizer.zero_grad()}.
 */
final class StudentGradients implements AutoCloseable {

    private final Map<String, NDArray> parameters;
    private final Map<String, NDArray> gradients = new LinkedHashMap<>();
    private double[] norms;
    private boolean lastLayerCancelled;

    private StudentGradients(Map<String, NDArray> parameters, UnaryOperator<Map<String, NDArray>> toMaster) {
        this.parameters = parameters;
        Map<String, NDArray> own = new LinkedHashMap<>();
        parameters.forEach((name, p) -> own.put(name, p.getGradient()));
        gradients.putAll(toMaster.apply(own));
    }

    /** The gradients of the student's trainable parameters. */
    static StudentGradients of(Module student) {
        return new StudentGradients(student.trainableParameters(), UnaryOperator.identity());
    }

    /**
     * The gradients of a working copy's trainable parameters, as toMaster converts them for the
     * master weights (bfloat16 to float32): judged, clipped and applied in the masters' type.
     */
    static StudentGradients of(Module copy, UnaryOperator<Map<String, NDArray>> toMaster) {
        return new StudentGradients(copy.trainableParameters(), toMaster);
    }

    /**
     * False when any gradient has an infinite or NaN norm: a finite loss can still give one (a
     * BatchNorm over a constant channel, an overflow), and applied it would poison every later step.
     */
    boolean finite() {
        for (double norm : norms()) {
            if (!Double.isFinite(norm)) {
                return false;
            }
        }
        return true;
    }

    /** Clips each gradient to norm maxNorm on its own. */
    void clip(double maxNorm) {
        GradientClipping.clip(gradients, norms(), maxNorm);
    }

    /** Leaves the last layer (the prototypes) out of this step's update. */
    void cancelLastLayer() {
        lastLayerCancelled = true;
    }

    /** The gradients the optimiser applies, by parameter name. */
    Map<String, NDArray> byName() {
        if (!lastLayerCancelled) {
            return gradients;
        }
        Map<String, NDArray> kept = new LinkedHashMap<>(gradients);
        kept.keySet().removeIf(name -> name.contains("last_layer"));
        return kept;
    }

    /** Each gradient's L2 norm, in parameter order, computed once. */
    private double[] norms() {
        if (norms == null) {
            norms = GradientClipping.norms(gradients);
        }
        return norms;
    }

    @Override
    public void close() {
        for (NDArray p : parameters.values()) {
            JniUtils.zeroGrad((PtNDArray) p);
        }
    }
}
