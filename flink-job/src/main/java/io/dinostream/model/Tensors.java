package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Exact copies of tensors: in place, and to and from bytes (dtype, shape, raw little-endian). */
public final class Tensors {

    private Tensors() {}

    /**
     * Gives dst (same shape and dtype) a private copy of src's values. The Java object dst stays
     * the one every module and optimiser refers to; its native tensor is replaced (DJL's intern),
     * which unlike index assignment is safe for 0-d tensors, and it keeps requiring gradients if it
     * did.
     */
    public static void assign(NDArray dst, NDArray src) {
        if (!dst.getShape().equals(src.getShape()) || dst.getDataType() != src.getDataType()) {
            throw new IllegalArgumentException(
                    "cannot copy a "
                            + src.getDataType()
                            + src.getShape()
                            + " tensor into a "
                            + dst.getDataType()
                            + dst.getShape()
                            + " one");
        }
        boolean trainable = dst.hasGradient();
        // duplicate() is a real clone; toDevice/toType may hand back an alias of src.
        NDArray copy = src.getDevice().equals(dst.getDevice()) ? src.duplicate() : src.toDevice(dst.getDevice(), true);
        NDScope.unregister(copy);
        dst.intern(copy);
        if (trainable) {
            dst.setRequiresGradient(true);
        }
    }

    /** Writes dtype, shape and the raw values (little-endian). */
    public static void write(DataOutput out, NDArray array) throws IOException {
        out.writeUTF(array.getDataType().name());
        long[] shape = array.getShape().getShape();
        out.writeInt(shape.length);
        for (long d : shape) {
            out.writeLong(d);
        }
        ByteBuffer data = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    /** Reads a tensor written by {@link #write} onto {@code manager}. */
    public static NDArray read(DataInput in, NDManager manager) throws IOException {
        DataType type = DataType.valueOf(in.readUTF());
        int rank = in.readInt();
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = in.readLong();
        }
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        ByteBuffer buffer = manager.allocateDirect(bytes.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(bytes).rewind();
        return manager.create(buffer, new Shape(shape), type);
    }
}
