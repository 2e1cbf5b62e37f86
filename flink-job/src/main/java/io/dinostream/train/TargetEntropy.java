package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * How sharp the teacher's targets are, the signal {@link CollapseGuard} watches (Caron et al.
 * 2021, sec. 5.3: centering alone collapses to the uniform distribution, sharpening alone to one
 * prototype).
 *
 * @param mean mean entropy of each image's target distribution softmax((t − c) / τ), in nats: near
 *     0 when one prototype wins every image, near ln K when the targets are uniform
 * @param ofBatchMean entropy of the batch-mean target distribution: near 0 when every image picks
 *     the same prototype
 */
record TargetEntropy(double mean, double ofBatchMean) {

    /** The entropies of the targets of teacherOutput under center and teacherTemp, off the device in one transfer. */
    static TargetEntropy of(NDArray teacherOutput, NDArray center, double teacherTemp) {
        NDArray logQ = teacherOutput.sub(center).div(teacherTemp).logSoftmax(-1);
        NDArray q = logQ.exp();
        NDArray perImage = q.mul(logQ).sum(new int[] {1}).neg().mean();
        NDArray meanQ = q.mean(new int[] {0});
        NDArray ofMean = meanQ.mul(meanQ.add(1e-12).log()).sum().neg();
        double[] values = NDArrays.stack(new NDList(perImage, ofMean)).toType(DataType.FLOAT64, false).toDoubleArray();
        return new TargetEntropy(values[0], values[1]);
    }
}
