package io.dinostream.model;

/**
 * A network that maps (B, 3, H, W) images to (B, {@link #outputDim()}) features: {@link ResNet}
 * or {@link VisionTransformer}, the first of DINO's two parts (the head is the second).
 */
public abstract class Backbone extends Module {

    /** Length of the feature vector of one image. */
    public abstract int outputDim();

    /**
     * Seeds the randomness of the next training-mode forward passes (a ViT's drop path). The
     * trainer reseeds before every step from its seed and the step, so a step is the same after a
     * restore; a backbone without randomness ignores it.
     */
    public void reseed(long seed) {}
}
