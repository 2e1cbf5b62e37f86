package io.dinostream.model;

import ai.djl.ndarray.NDArray;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A network part with named tensors, in the manner of torch.nn.Module: parameters (trained),
 * buffers (state that is not trained, e.g. BatchNorm running statistics) and named children.
 * Full names join the path with dots ({@code layer1.0.conv1.weight}), in PyTorch's order (own
 * tensors first, then children in registration order), so a {@link #stateDict()} loads into the
 * matching torchvision / official DINO module unchanged.
 *
 * <p>All tensors of a model live on the NDManager they were created on (the model's owner); a
 * forward pass creates only temporaries, which belong to the caller's scope.
 */
public abstract class Module {

    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final Set<String> frozen = new LinkedHashSet<>();
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();

    /** Computes the output for a batch; {@code training} selects batch statistics in BatchNorm. */
    public abstract NDArray forward(NDArray input, boolean training);

    /**
     * Hands a temporary made from a model tensor (a view, a reshape: it lands on the model's
     * manager) to the manager of the forward pass's input, so it is freed with the pass's other
     * temporaries instead of living as long as the model.
     */
    protected static NDArray temporary(NDArray input, NDArray fromModelTensor) {
        fromModelTensor.attach(input.getManager());
        return fromModelTensor;
    }

    protected final NDArray registerParameter(String name, NDArray value) {
        parameters.put(name, value);
        return value;
    }

    /** A parameter that exists (and is saved) but is never trained, like requires_grad=False. */
    protected final NDArray registerFrozenParameter(String name, NDArray value) {
        frozen.add(name);
        return registerParameter(name, value);
    }

    protected final NDArray registerBuffer(String name, NDArray value) {
        buffers.put(name, value);
        return value;
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        children.put(name, module);
        return module;
    }

    /** Every parameter, frozen ones included, by full name (torch named_parameters order). */
    public final Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        collect("", out, true, false);
        return Collections.unmodifiableMap(out);
    }

    /** The parameters the optimiser updates (torch: requires_grad=True). */
    public final Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        collect("", out, false, false);
        return Collections.unmodifiableMap(out);
    }

    /** Parameters and buffers by full name, in torch state_dict order. */
    public final Map<String, NDArray> stateDict() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        collect("", out, true, true);
        return Collections.unmodifiableMap(out);
    }

    /** Buffers only (BatchNorm statistics). */
    public final Map<String, NDArray> buffers() {
        Map<String, NDArray> all = new LinkedHashMap<>(stateDict());
        all.keySet().removeAll(parameters().keySet());
        return Collections.unmodifiableMap(all);
    }

    private void collect(
            String prefix, Map<String, NDArray> out, boolean withFrozen, boolean withBuffers) {
        parameters.forEach(
                (name, p) -> {
                    if (withFrozen || !frozen.contains(name)) {
                        out.put(prefix + name, p);
                    }
                });
        if (withBuffers) {
            buffers.forEach((name, b) -> out.put(prefix + name, b));
        }
        children.forEach(
                (name, child) -> child.collect(prefix + name + ".", out, withFrozen, withBuffers));
    }
}
