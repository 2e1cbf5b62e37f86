package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * torch.nn.BatchNorm1d / BatchNorm2d (eps 1e-5, momentum 0.1) over dimension 1 of (N, C) or
 * (N, C, H, W) input: weight, bias, and the buffers running_mean,
 * running_var and num_batches_tracked, which a training forward updates in place as torch does.
 */
public final class BatchNorm extends Module {

    private static final double EPS = 1e-5;
    private static final double MOMENTUM = 0.1;

    private final NDArray weight;
    private final NDArray bias;
    private final NDArray runningMean;
    private final NDArray runningVar;
    private final NDArray batchesTracked;

    public BatchNorm(ParameterFactory f, int channels) {
        Shape shape = new Shape(channels);
        weight = registerParameter("weight", f.normOnes(shape));
        bias = registerParameter("bias", f.normZeros(shape));
        runningMean = registerBuffer("running_mean", f.normZeros(shape));
        runningVar = registerBuffer("running_var", f.normOnes(shape));
        batchesTracked = registerBuffer("num_batches_tracked", f.counter());
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        if (training) {
            batchesTracked.addi(1L);
        }
        // torch.batch_norm directly: DJL's BatchNorm.batchNorm passes momentum and eps as floats,
        // which moves the running statistics by ~1e-7 relative from torch's.
        return JniUtils.batchNorm(
                (PtNDArray) input,
                (PtNDArray) runningMean,
                (PtNDArray) runningVar,
                (PtNDArray) weight,
                (PtNDArray) bias,
                training,
                MOMENTUM,
                EPS);
    }
}
