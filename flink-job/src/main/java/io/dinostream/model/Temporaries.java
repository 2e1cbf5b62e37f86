package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.IdentityHashMap;
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

    /**
     * The arrays a DJL {@link NDScope} registered (its private {@code resources}), read to tell the
     * arrays a pass made from those it was given: only the first join the enclosing scope. DJL 0.36
     * offers no accessor; if a DJL upgrade renames the field, this fails when the class loads.
     */
    private static final VarHandle REGISTERED;

    static {
        try {
            REGISTERED = MethodHandles.privateLookupIn(NDScope.class, MethodHandles.lookup())
                    .findVarHandle(NDScope.class, "resources", IdentityHashMap.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("DJL's NDScope no longer keeps its arrays in 'resources': " + e);
        }
    }

    private Temporaries() {}

    /** Runs {@code pass} and closes every array it made except the one it returns. */
    public static NDArray freedAfter(Supplier<NDArray> pass) {
        return freedAfter(pass, List::of);
    }

    /**
     * Runs {@code pass} and closes every array it made except those {@code kept} names in its
     * result. Kept arrays the pass made join the enclosing scope, as if made there, so an enclosing
     * pass frees them in turn once it is done with them; arrays it was given (an input passed
     * through) stay where they were.
     */
    public static <T> T freedAfter(Supplier<T> pass, Function<T, List<NDArray>> kept) {
        T result;
        List<NDArray> made = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            result = pass.get();
            IdentityHashMap<?, ?> registered = (IdentityHashMap<?, ?>) REGISTERED.get(scope);
            for (NDArray array : kept.apply(result)) {
                if (registered.remove(array) != null) {
                    made.add(array);
                }
            }
        }
        made.forEach(NDScope::register);
        return result;
    }
}
