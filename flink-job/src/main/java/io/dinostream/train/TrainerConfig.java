package io.dinostream.train;

import ai.djl.ndarray.types.DataType;
import io.dinostream.model.DeviceChoice;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.Precision;

/**
 * Everything that defines a DINO training run on the trainer's side: the network, the views per
 * image, the schedules and the fixed hyper-parameters. Immutable; build with {@link #builder()}.
 * Defaults are the paper's, except the model and schedules, which the caller chooses.
 */
public final class TrainerConfig implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private final ModelSpec model;
    private final DinoSchedules schedules;
    private final int globalViews;
    private final int localViews;
    private final double studentTemp;
    private final double centerMomentum;
    private final double clipGrad;
    private final double koleoWeight;
    private final Optimizer.Kind optimizer;
    private final long seed;
    private final DataType dataType;
    private final DeviceChoice device;
    private final Precision precision;

    private TrainerConfig(Builder b) {
        if (b.model == null || b.schedules == null) {
            throw new IllegalArgumentException("a trainer config needs a model and schedules");
        }
        if (b.globalViews < 1 || b.localViews < 0 || b.globalViews + b.localViews < 2) {
            throw new IllegalArgumentException(
                    "DINO needs >= 1 global view and >= 2 views in all, got "
                            + b.globalViews
                            + " global and "
                            + b.localViews
                            + " local");
        }
        if (!(b.studentTemp > 0)) {
            throw new IllegalArgumentException("student temperature must be > 0, got " + b.studentTemp);
        }
        if (!(b.centerMomentum >= 0 && b.centerMomentum < 1)) {
            throw new IllegalArgumentException(
                    "center momentum must be in [0, 1), got " + b.centerMomentum);
        }
        if (!(b.koleoWeight >= 0)) {
            throw new IllegalArgumentException("KoLeo weight must be >= 0, got " + b.koleoWeight);
        }
        if (b.dataType != DataType.FLOAT32 && b.dataType != DataType.FLOAT64) {
            throw new IllegalArgumentException("trainer data type must be float32 or float64");
        }
        if (b.precision == Precision.BF16 && b.dataType != DataType.FLOAT32) {
            throw new IllegalArgumentException("bf16 mixed precision keeps float32 master weights: the trainer data"
                    + " type must be float32");
        }
        if (b.precision == Precision.BF16 && b.koleoWeight > 0) {
            throw new IllegalArgumentException("--train.koleo-weight is not supported with --train.precision bf16 yet"
                    + " (its distances need float32 features): use --train.precision fp32 or --train.koleo-weight 0");
        }
        b.precision.checkChoice(b.device);
        model = b.model;
        schedules = b.schedules;
        globalViews = b.globalViews;
        localViews = b.localViews;
        studentTemp = b.studentTemp;
        centerMomentum = b.centerMomentum;
        clipGrad = b.clipGrad;
        koleoWeight = b.koleoWeight;
        optimizer = b.optimizer;
        seed = b.seed;
        dataType = b.dataType;
        device = b.device;
        precision = b.precision;
    }

    public static Builder builder() {
        return new Builder();
    }

    public ModelSpec model() {
        return model;
    }

    public DinoSchedules schedules() {
        return schedules;
    }

    public int globalViews() {
        return globalViews;
    }

    public int localViews() {
        return localViews;
    }

    public int totalViews() {
        return globalViews + localViews;
    }

    public double studentTemp() {
        return studentTemp;
    }

    public double centerMomentum() {
        return centerMomentum;
    }

    /** Per-tensor gradient norm limit; 0 or less turns clipping off (as --clip_grad 0). */
    public double clipGrad() {
        return clipGrad;
    }

    /** Weight of the KoLeo regulariser on the student's global-view features (0: off, as DINO). */
    public double koleoWeight() {
        return koleoWeight;
    }

    /** The student's optimiser (main_dino.py --optimizer): AdamW unless told. */
    public Optimizer.Kind optimizer() {
        return optimizer;
    }

    public long seed() {
        return seed;
    }

    public DataType dataType() {
        return dataType;
    }

    /** Where the trainer runs; resolved when the trainer is built, on the machine that runs it. */
    public DeviceChoice device() {
        return device;
    }

    /** fp32, or bf16 mixed precision with float32 master weights (GPU only). */
    public Precision precision() {
        return precision;
    }

    @Override
    public String toString() {
        return "TrainerConfig{model="
                + model
                + ", schedules="
                + schedules
                + ", views="
                + globalViews
                + "+"
                + localViews
                + ", studentTemp="
                + studentTemp
                + ", centerMomentum="
                + centerMomentum
                + ", clipGrad="
                + clipGrad
                + ", koleoWeight="
                + koleoWeight
                + ", optimizer="
                + optimizer
                + ", seed="
                + seed
                + ", dataType="
                + dataType
                + ", device="
                + device
                + ", precision="
                + precision
                + "}";
    }

    /** Builder with the paper's defaults: 2 global + 8 local views, τs 0.1, m 0.9, clip 3. */
    public static final class Builder {
        private ModelSpec model;
        private DinoSchedules schedules;
        private int globalViews = 2;
        private int localViews = 8;
        private double studentTemp = DinoLoss.DEFAULT_STUDENT_TEMP;
        private double centerMomentum = DinoLoss.DEFAULT_CENTER_MOMENTUM;
        private double clipGrad = 3.0;
        private double koleoWeight = 0;
        private Optimizer.Kind optimizer = Optimizer.Kind.ADAMW;
        private long seed = 0;
        private DataType dataType = DataType.FLOAT32;
        private DeviceChoice device = DeviceChoice.AUTO;
        private Precision precision = Precision.FP32;

        public Builder model(ModelSpec model) {
            this.model = model;
            return this;
        }

        public Builder schedules(DinoSchedules schedules) {
            this.schedules = schedules;
            return this;
        }

        public Builder views(int globalViews, int localViews) {
            this.globalViews = globalViews;
            this.localViews = localViews;
            return this;
        }

        public Builder studentTemp(double studentTemp) {
            this.studentTemp = studentTemp;
            return this;
        }

        public Builder centerMomentum(double centerMomentum) {
            this.centerMomentum = centerMomentum;
            return this;
        }

        public Builder clipGrad(double clipGrad) {
            this.clipGrad = clipGrad;
            return this;
        }

        public Builder koleoWeight(double koleoWeight) {
            this.koleoWeight = koleoWeight;
            return this;
        }

        public Builder optimizer(Optimizer.Kind optimizer) {
            this.optimizer = java.util.Objects.requireNonNull(optimizer);
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder dataType(DataType dataType) {
            this.dataType = dataType;
            return this;
        }

        public Builder device(DeviceChoice device) {
            this.device = java.util.Objects.requireNonNull(device);
            return this;
        }

        public Builder precision(Precision precision) {
            this.precision = java.util.Objects.requireNonNull(precision);
            return this;
        }

        public TrainerConfig build() {
            return new TrainerConfig(this);
        }
    }
}
