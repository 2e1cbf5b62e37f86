package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.BatchNorm;

/**
 * torch.nn.BatchNorm2d (eps 1e-5, momentum 0.1): weight, bias, and the buffers running_mean,
 * running_var and num_batches_tracked, which a training forward updates in place as torch does.
 */
public final class BatchNorm2d extends Module {

    private static final float EPS = 1e-5f;
    // DJL's momentum is the weight of the old running value: 1 - torch's 0.1.
    private static final float DJL_MOMENTUM = 0.9f;

    private final NDArray weight;
    private final NDArray bias;
    private final NDArray runningMean;
    private final NDArray runningVar;
    private final NDArray batchesTracked;

    public BatchNorm2d(ParameterFactory f, int channels) {
        Shape shape = new Shape(channels);
        weight = registerParameter("weight", f.ones(shape));
        bias = registerParameter("bias", f.zeros(shape));
        runningMean = registerBuffer("running_mean", f.zeros(shape));
        runningVar = registerBuffer("running_var", f.ones(shape));
        batchesTracked = registerBuffer("num_batches_tracked", f.counter());
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        if (training) {
            batchesTracked.addi(1L);
        }
        return BatchNorm.batchNorm(
                        input, runningMean, runningVar, weight, bias, 1, DJL_MOMENTUM, EPS, training)
                .singletonOrThrow();
    }
}
