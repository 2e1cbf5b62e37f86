package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.dinostream.model.OwnedTensors;

/**
 * The DINO self-distillation loss (Caron et al. 2021, eq. 2 and sec. 3.1; main_dino.DINOLoss).
 * With teacher outputs t of the global views and student outputs s of all views:
 *
 * <pre>
 *   q = softmax((t − c) / τt)   (detached: teacher outputs carry no gradient)
 *   p = log_softmax(s / τs)
 *   L = mean over pairs (teacher view a, student view v), v ≠ a, of mean_batch Σ −q_a · p_v
 * </pre>
 *
 * <p>The center c is this loss's state: after each step {@link #updateCenter} moves it as
 * c ← m·c + (1 − m)·mean(t). The official forward does both in one call; they are separate here
 * so that a step whose loss is not finite leaves the center untouched as well.
 */
public final class DinoLoss implements AutoCloseable {

    public static final double DEFAULT_STUDENT_TEMP = 0.1;
    public static final double DEFAULT_CENTER_MOMENTUM = 0.9;

    private final int globalViews;
    private final int totalViews;
    private final double studentTemp;
    private final double centerMomentum;
    private final NDArray center;
    private final NDArray pairMask;

    /**
     * A fresh loss with a zero center of shape (1, outDim) on {@code owner}, which keeps it for
     * the loss's life.
     */
    public DinoLoss(
            NDManager owner,
            DataType dataType,
            int outDim,
            int globalViews,
            int totalViews,
            double studentTemp,
            double centerMomentum) {
        if (globalViews < 1 || totalViews < globalViews || totalViews < 2) {
            throw new IllegalArgumentException(
                    "DINO needs >= 1 global view and >= 2 views in all, got "
                            + globalViews
                            + " global of "
                            + totalViews);
        }
        this.globalViews = globalViews;
        this.totalViews = totalViews;
        this.studentTemp = studentTemp;
        this.centerMomentum = centerMomentum;
        this.center = owner.zeros(new Shape(1, outDim), dataType);
        float[] mask = new float[globalViews * totalViews];
        for (int a = 0; a < globalViews; a++) {
            for (int v = 0; v < totalViews; v++) {
                mask[a * totalViews + v] = a == v ? 0f : 1f;
            }
        }
        this.pairMask = OwnedTensors.of(owner, mask, new Shape(globalViews, totalViews), dataType);
    }

    /** Number of (teacher view, student view) pairs the loss averages over. */
    public int pairCount() {
        return globalViews * totalViews - globalViews;
    }

    /** The current center, shape (1, K). Owned by this loss; do not close. */
    public NDArray center() {
        return center;
    }

    /**
     * The loss for one batch with the current center. {@code studentOutput}: (totalViews·B, K),
     * view-major; {@code teacherOutput}: (globalViews·B, K). The result is a scalar on the
     * student output's manager; the center is not changed.
     *
     * <p>A student output in a narrower type than the center (bfloat16 under mixed precision)
     * enters its log-softmax in the center's type, as torch's {@code log_softmax(x, dtype=float32)}
     * does, so the loss and its gradient are computed in float32; the teacher output must already
     * be in the center's type.
     */
    public NDArray compute(NDArray studentOutput, NDArray teacherOutput, double teacherTemp) {
        long k = studentOutput.getShape().get(1);
        long batch = teacherOutput.getShape().get(0) / globalViews;
        // scalars that stay in the graph until backward live in libtorch's memory (OwnedTensors)
        NDArray scaled = OwnedTensors.div(studentOutput, studentTemp);
        NDArray logP = (scaled.getDataType() == center.getDataType()
                        ? scaled.logSoftmax(-1)
                        : JniUtils.logSoftmax((PtNDArray) scaled, -1, center.getDataType()))
                .reshape(totalViews, batch * k);
        NDArray q = OwnedTensors.div(teacherOutput.stopGradient().sub(center), teacherTemp)
                .softmax(-1)
                .reshape(globalViews, batch * k);
        // cross[a, v] = Σ_b Σ_k q_a · log p_v, every pair at once; the mask drops v == a.
        NDArray cross = q.matMul(logP.transpose());
        NDArray total = cross.mul(pairMask).sum();
        // A 0-d tensor divided by a double would promote to float64, and DJL's toType cuts the
        // autograd graph: divide by a 0-d tensor of the model's own type instead.
        NDArray count = OwnedTensors.of(
                total.getManager(), new double[] {(double) batch * pairCount()}, new Shape(), total.getDataType());
        return total.neg().div(count);
    }

    /** c ← m·c + (1 − m)·mean over rows of the teacher outputs (DINOLoss.update_center). */
    public void updateCenter(NDArray teacherOutput) {
        NDArray batchCenter =
                OwnedTensors.div(teacherOutput.stopGradient().sum(new int[] {0}, true), teacherOutput.getShape().get(0));
        center.muli(centerMomentum).addi(batchCenter.muli(1 - centerMomentum));
    }

    @Override
    public void close() {
        center.close();
        pairMask.close();
    }
}
