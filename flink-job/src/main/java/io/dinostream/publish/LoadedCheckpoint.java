package io.dinostream.publish;

import ai.djl.ndarray.NDManager;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.Backbone;

/**
 * A published checkpoint's teacher backbone, loaded and verified by {@link CheckpointLoader}, with
 * what describes it: the step, the manifest, the model spec and global crop size it was trained
 * with. The backbone's tensors live on this object's own NDManager; {@link #close()} frees them.
 * Not thread-safe: one thread at a time runs the backbone.
 */
public final class LoadedCheckpoint implements AutoCloseable {

    private final long step;
    private final String location;
    private final Manifest manifest;
    private final ModelSpec modelSpec;
    private final int globalSize;
    private final Backbone backbone;
    private final NDManager manager;

    LoadedCheckpoint(
            long step,
            String location,
            Manifest manifest,
            ModelSpec modelSpec,
            int globalSize,
            Backbone backbone,
            NDManager manager) {
        this.step = step;
        this.location = location;
        this.manifest = manifest;
        this.modelSpec = modelSpec;
        this.globalSize = globalSize;
        this.backbone = backbone;
        this.manager = manager;
    }

    /** The training step the checkpoint was taken at. */
    public long step() {
        return step;
    }

    /** Where the checkpoint folder is, e.g. {@code file:///ckpt/step-000000000200/}; no credentials. */
    public String location() {
        return location;
    }

    /** The checkpoint's manifest (step, time, config, metrics, evaluation, files, ...). */
    public Manifest manifest() {
        return manifest;
    }

    /** The network the checkpoint was trained with, rebuilt from the manifest's config. */
    public ModelSpec modelSpec() {
        return modelSpec;
    }

    /** The global crop side the model was trained on ({@code crops.global-size}), in pixels. */
    public int globalSize() {
        return globalSize;
    }

    /**
     * The teacher backbone with the checkpoint's parameters and BatchNorm statistics; tensor names
     * as in the file without {@code backbone.}. Run it with {@code training = false}.
     */
    public Backbone backbone() {
        return backbone;
    }

    /** Length of the backbone's feature vector (512 for a standard ResNet-18, 384 for a ViT-S). */
    public int featureDim() {
        return backbone.outputDim();
    }

    /** The manager that owns the backbone's tensors (and decides their device). */
    public NDManager manager() {
        return manager;
    }

    /** Frees the backbone's tensors. */
    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "LoadedCheckpoint[step=" + step + ", " + location + ", " + modelSpec + ", global size "
                + globalSize + "]";
    }
}
