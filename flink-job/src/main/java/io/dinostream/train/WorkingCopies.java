package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.MultiCropWrapper;
import io.dinostream.model.ParameterFactory;
import io.dinostream.model.Tensors;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bfloat16 networks of a mixed-precision step (Micikevicius et al. 2018; what
 * {@code torch.autocast(dtype=torch.bfloat16)} amounts to for a ResNet): a copy of the student and
 * of the teacher whose convolution and linear weights are bfloat16 and whose BatchNorm tensors stay
 * float32, as autocast leaves them. The float32 networks stay the masters: the optimiser, its
 * moments, the EMA and the saved state only ever see them.
 *
 * <p>Each step: {@link #refresh} copies the masters in (rounded to bfloat16), the forward passes
 * and the backward run on the copies, {@link #masterGradients} hands the copies' gradients to the
 * optimiser in float32, and {@link #keepStatistics} copies the BatchNorm statistics the forward
 * passes updated back to the masters. Only on a GPU, with a JNI that maps bfloat16
 * ({@link io.dinostream.model.Precision#check}).
 */
final class WorkingCopies implements AutoCloseable {

    private final NDManager manager;
    private final MultiCropWrapper student;
    private final MultiCropWrapper teacher;
    private final DataType computeType;

    WorkingCopies(ModelSpec model, NDManager owner, DataType computeType) {
        this.computeType = computeType;
        this.manager = owner.newSubManager();
        ParameterFactory copies = ParameterFactory.forCopies(manager, computeType, DataType.FLOAT32);
        this.student = model.build(copies);
        this.teacher = model.build(copies);
        student.trainableParameters().values().forEach(p -> p.setRequiresGradient(true));
    }

    /** The type of the copies' convolution and linear weights, and so of the passes' inputs. */
    DataType computeType() {
        return computeType;
    }

    MultiCropWrapper student() {
        return student;
    }

    MultiCropWrapper teacher() {
        return teacher;
    }

    /** Copies every parameter and buffer of the masters into the copies, in the copies' types. */
    void refresh(MultiCropWrapper masterStudent, MultiCropWrapper masterTeacher) {
        copy(masterStudent.stateDict(), student.stateDict());
        copy(masterTeacher.stateDict(), teacher.stateDict());
    }

    /** The copies' gradients, by name, in the masters' types: what the optimiser applies to the masters. */
    Map<String, NDArray> masterGradients(Map<String, NDArray> copyGradients, MultiCropWrapper masterStudent) {
        Map<String, NDArray> masters = masterStudent.trainableParameters();
        Map<String, NDArray> out = new LinkedHashMap<>();
        copyGradients.forEach((name, g) -> {
            DataType type = masters.get(name).getDataType();
            out.put(name, g.getDataType() == type ? g : g.toType(type, false));
        });
        return out;
    }

    /** The BatchNorm statistics the forward passes moved, back into the masters. */
    void keepStatistics(MultiCropWrapper masterStudent, MultiCropWrapper masterTeacher) {
        copy(student.buffers(), masterStudent.buffers());
        copy(teacher.buffers(), masterTeacher.buffers());
    }

    private static void copy(Map<String, NDArray> from, Map<String, NDArray> to) {
        from.forEach((name, value) -> Tensors.assignConverted(to.get(name), value));
    }

    @Override
    public void close() {
        manager.close();
    }
}
