package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.dinostream.util.SeededRandom;

/**
 * Creates a model's tensors on its owner manager, in one data type, with PyTorch's initialisers.
 * Random values come from a {@link SeededRandom}, so a seed fixes the initial model.
 *
 * <p>Normalisation layers take their tensors from {@link #normOnes} and {@link #normZeros}, and the
 * DINO head's prototype layer from {@link #keptInFloat32()}, in the model's type unless told
 * otherwise: a bfloat16 working copy keeps them in float32. A factory made by {@link #forCopies} fills every tensor with zeros instead of
 * random values, for copies whose values are always assigned before use.
 */
public final class ParameterFactory {

    private final NDManager manager;
    private final DataType dataType;
    private final DataType normDataType;
    private final SeededRandom random;

    public ParameterFactory(NDManager manager, DataType dataType, long seed) {
        this(manager, dataType, dataType, new SeededRandom(seed));
    }

    private ParameterFactory(NDManager manager, DataType dataType, DataType normDataType, SeededRandom random) {
        this.manager = manager;
        this.dataType = dataType;
        this.normDataType = normDataType;
        this.random = random;
    }

    /**
     * A factory of zero-filled tensors in dataType, normalisation layers in normDataType: for
     * working copies of a model whose values are assigned from it before every use.
     */
    public static ParameterFactory forCopies(NDManager manager, DataType dataType, DataType normDataType) {
        return new ParameterFactory(manager, dataType, normDataType, null);
    }

    public NDManager manager() {
        return manager;
    }

    public DataType dataType() {
        return dataType;
    }

    public NDArray zeros(Shape shape) {
        return manager.zeros(shape, dataType);
    }

    public NDArray ones(Shape shape) {
        return manager.ones(shape, dataType);
    }

    /**
     * The factory for layers that mixed precision keeps in float32 (the DINO head's prototypes):
     * this one when the model has one type, else one of the normalisation type drawing from the same
     * random sequence.
     */
    public ParameterFactory keptInFloat32() {
        return normDataType == dataType ? this : new ParameterFactory(manager, normDataType, normDataType, random);
    }

    /** Ones for a normalisation layer's tensors (BatchNorm weight, running variance). */
    public NDArray normOnes(Shape shape) {
        return manager.ones(shape, normDataType);
    }

    /** Zeros for a normalisation layer's tensors (BatchNorm bias, running mean). */
    public NDArray normZeros(Shape shape) {
        return manager.zeros(shape, normDataType);
    }

    /** The 0-d int64 counter torch keeps in BatchNorm ({@code num_batches_tracked}). */
    public NDArray counter() {
        return manager.create(0L);
    }

    /** torch.nn.init.trunc_normal_(std, a=-2, b=2), as DINO's head uses (std 0.02). */
    public NDArray truncatedNormal(Shape shape, double std) {
        if (random == null) {
            return zeros(shape);
        }
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.truncatedNormal(std, -2.0, 2.0);
        }
        return create(values, shape);
    }

    /** kaiming_normal_(mode="fan_out", nonlinearity="relu"), torchvision's ResNet conv init. */
    public NDArray kaimingNormalFanOut(Shape shape) {
        if (random == null) {
            return zeros(shape);
        }
        long fanOut = shape.get(0) * (shape.size() / (shape.get(0) * shape.get(1)));
        double std = Math.sqrt(2.0 / fanOut);
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = std * random.nextGaussian();
        }
        return create(values, shape);
    }

    /** nn.Linear's default weight init, kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(in), 1/sqrt(in)). */
    public NDArray linearDefault(Shape shape) {
        if (random == null) {
            return zeros(shape);
        }
        double bound = 1.0 / Math.sqrt(shape.get(1));
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.uniform(-bound, bound);
        }
        return create(values, shape);
    }

    /**
     * U(-bound, bound): torch's default init of a conv's weight and bias (kaiming_uniform_ with
     * a = sqrt(5) gives bound 1/sqrt(fan_in) for the weight, and the bias uses the same bound).
     */
    public NDArray uniform(Shape shape, double bound) {
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.uniform(-bound, bound);
        }
        return create(values, shape);
    }

    private NDArray create(double[] values, Shape shape) {
        // a float64 model's parameters would otherwise share a Java buffer that a collection frees
        return OwnedTensors.of(manager, values, shape, dataType);
    }
}
