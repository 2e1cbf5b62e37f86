package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.IdentityHashMap;
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

    /**
     * Runs {@code pass} and closes every array it made except the one it returns. That one, if the
     * pass made it, joins the enclosing scope as if made there, so an enclosing pass frees it in turn
     * once it is done with it; an array the pass was given and returned (an input passed through)
     * stays where it was.
     */
    public static NDArray freedAfter(Supplier<NDArray> pass) {
        NDArray result;
        boolean made;
        try (NDScope scope = new NDScope()) {
            result = pass.get();
            made = ((IdentityHashMap<?, ?>) REGISTERED.get(scope)).remove(result) != null;
        }
        if (made) {
            NDScope.register(result);
        }
        return result;
    }
}
