package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Exact copies of tensors: in place, and to and from bytes (dtype, shape, raw little-endian). */
public final class Tensors {

    private static final NDIndex ALL = new NDIndex("...");

    private Tensors() {}

    /** Copies src's values into dst in place (same shape and dtype); NaNs in dst do not leak. */
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
        dst.set(ALL, src);
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
