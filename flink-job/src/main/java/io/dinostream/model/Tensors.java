package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/** Exact copies of tensors in place (to and from bytes: {@link Safetensors}). */
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

    /**
     * Gives dst (same shape, any floating type) src's values converted to dst's type, as
     * {@code dst.copy_(src)} does: for working copies in another precision than their masters.
     */
    public static void assignConverted(NDArray dst, NDArray src) {
        if (src.getDataType() == dst.getDataType()) {
            assign(dst, src);
            return;
        }
        if (!dst.getShape().equals(src.getShape())) {
            throw new IllegalArgumentException("cannot copy a " + src.getShape() + " tensor into a " + dst.getShape()
                    + " one");
        }
        try (NDArray converted = src.toType(dst.getDataType(), true)) {
            assign(dst, converted);
        }
    }
}
