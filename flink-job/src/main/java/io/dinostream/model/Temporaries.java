package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Frees the temporaries of a forward pass as the pass returns, as PyTorch frees a tensor when its
 * last Python reference goes. Closing a DJL array only drops this side's reference to the libtorch
 * tensor: what backward needs stays alive, because autograd holds its own reference. Without this,
 * every temporary of a step (the teacher's whole forward pass among them) lived until the step's
 * end: ViT-S/16 at batch 32 (2 × 224 + 8 × 96 px) peaked at 23 GiB.
 */
public final class Temporaries {

    private Temporaries() {}

    /** Runs {@code pass} and closes every array it made except the one it returns. */
    public static NDArray freedAfter(Supplier<NDArray> pass) {
        return freedAfter(pass, List::of);
    }

    /**
     * Runs {@code pass} and closes every array it made except those {@code kept} names in its
     * result. The kept arrays stay on their manager, the pass input's (see
     * {@link Module#temporary}), which frees them with the caller's other arrays.
     */
    public static <T> T freedAfter(Supplier<T> pass, Function<T, List<NDArray>> kept) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            T result = pass.get();
            kept.apply(result).forEach(NDScope::unregister);
            return result;
        }
    }
}
