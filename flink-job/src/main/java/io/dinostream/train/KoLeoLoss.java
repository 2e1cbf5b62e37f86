package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.dinostream.model.OwnedTensors;

/**
 * The Kozachenko–Leonenko differential-entropy regulariser of DINOv2 (Oquab et al. 2023, sec. 4;
 * dinov2/loss/koleo_loss.py): for L2-normalised features x₁ … x_B,
 *
 * <pre>
 *   L = −(1/B) Σᵢ log(‖xᵢ − x_{n(i)}‖ + ε),   n(i) = argmax_{j≠i} xᵢ·xⱼ
 * </pre>
 *
 * It pushes each feature away from its nearest neighbour in the batch, spreading the features
 * evenly over the sphere — the geometry a k-NN classifier reads. DINOv2 applies it with weight 0.1
 * to the student's backbone features, separately for each global view.
 */
public final class KoLeoLoss {

    private static final double EPS = 1e-8;

    private KoLeoLoss() {}

    /** The loss of one batch of features (B, D), B ≥ 2; a scalar with the features' gradient. */
    public static NDArray compute(NDArray features) {
        long b = features.getShape().get(0);
        if (b < 2) {
            throw new IllegalArgumentException("KoLeo needs at least 2 features, got " + b);
        }
        // F.normalize(x, p=2, dim=-1, eps=1e-8)
        NDArray x = features.div(OwnedTensors.maximum(features.norm(new int[] {-1}, true), EPS));
        // nearest neighbour by inner product, the diagonal set to -1 (never chosen over a real
        // neighbour: normalised inner products are >= -1); no gradient flows through the choice
        NDArray eye = features.getManager().eye((int) b).toType(x.getDataType(), false);
        NDArray dots = x.stopGradient().matMul(x.stopGradient().transpose()).mul(eye.neg().add(1)).sub(eye);
        NDArray neighbours = dots.argMax(1).oneHot((int) b).toType(x.getDataType(), false);
        // nn.PairwiseDistance(2, eps=1e-8): ‖x1 − x2 + eps‖
        NDArray distances = x.sub(neighbours.matMul(x)).add(EPS).norm(new int[] {-1});
        return distances.add(EPS).log().mean().neg();
    }

    /** The weighted sum over the global views of rows [v·B, (v+1)·B) of {@code features}. */
    public static NDArray overViews(NDArray features, int views, double weight) {
        long b = features.getShape().get(0) / views;
        NDArray total = null;
        for (int v = 0; v < views; v++) {
            NDArray term = compute(features.get(v * b + ":" + (v + 1) * b));
            total = total == null ? term : total.add(term);
        }
        NDArray w = OwnedTensors.of(total.getManager(), new double[] {weight}, new Shape(), total.getDataType());
        return total.mul(w);
    }
}
