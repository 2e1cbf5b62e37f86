package io.dinostream.features;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import io.dinostream.augment.BicubicResize;
import io.dinostream.augment.ImageNetNormalization;
import io.dinostream.model.Module;
import io.dinostream.publish.LoadedCheckpoint;
import io.dinostream.types.RgbImage;

import java.util.ArrayList;
import java.util.List;

/**
 * Features of images from a trained backbone, as DINO's evaluations take them: each image is
 * resized (bicubic, as Pillow) to the global crop size, size × size (the aspect ratio is not
 * kept), normalised with the ImageNet mean and std and run through the backbone in eval mode
 * (BatchNorm uses its running statistics, nothing is updated) without autograd, in batches. So an
 * image's feature does not depend on the other images (up to float rounding when batch shapes
 * differ), and embedding the same images twice gives the same floats (on the CPU; a GPU may pick
 * non-deterministic kernels).
 *
 * <p>Not thread-safe: one embedder per thread.
 */
public final class Embedder {

    /** Images per forward pass unless told otherwise. */
    public static final int DEFAULT_BATCH_SIZE = 256;

    private final Module backbone;
    private final NDManager owner;
    private final int size;
    private final int featureDim;
    private final int batchSize;

    /** Embeds with a loaded checkpoint's backbone at its global crop size, 256 images a pass. */
    public Embedder(LoadedCheckpoint checkpoint) {
        this(checkpoint, DEFAULT_BATCH_SIZE);
    }

    public Embedder(LoadedCheckpoint checkpoint, int batchSize) {
        this(checkpoint.backbone(), checkpoint.manager(), checkpoint.globalSize(), checkpoint.featureDim(), batchSize);
    }

    /**
     * @param backbone maps (B, 3, size, size) float32 images to (B, featureDim) features
     * @param owner the manager holding the backbone's tensors; batches are created on sub-managers
     *     of it, so on its device
     * @param size side the images are resized to, in pixels
     */
    public Embedder(Module backbone, NDManager owner, int size, int featureDim, int batchSize) {
        if (size < 1 || featureDim < 1 || batchSize < 1) {
            throw new IllegalArgumentException("size, featureDim and batchSize must be >= 1, got " + size + ", "
                    + featureDim + ", " + batchSize);
        }
        this.backbone = backbone;
        this.owner = owner;
        this.size = size;
        this.featureDim = featureDim;
        this.batchSize = batchSize;
    }

    /** Length of each feature row. */
    public int featureDim() {
        return featureDim;
    }

    /** Side, in pixels, images are resized to. */
    public int imageSize() {
        return size;
    }

    /** One feature row per image, in order. */
    public float[][] embed(List<RgbImage> images) {
        // Autograd mode is per thread and on by default on threads DJL did not start on.
        JniUtils.setGradMode(false);
        float[][] out = new float[images.size()][];
        for (int start = 0; start < images.size(); start += batchSize) {
            int end = Math.min(images.size(), start + batchSize);
            List<RgbImage> resized = new ArrayList<>(end - start);
            for (RgbImage image : images.subList(start, end)) {
                resized.add(image.width() == size && image.height() == size
                        ? image
                        : BicubicResize.resize(image, size, size));
            }
            try (NDManager batch = owner.newSubManager();
                    NDScope arrays = new NDScope()) {
                arrays.suppressNotUsedWarning();
                NDArray x = ImageNetNormalization.toTensor(resized, batch, DataType.FLOAT32);
                NDArray features = backbone.forward(x, false);
                long[] shape = features.getShape().getShape();
                if (shape.length != 2 || shape[0] != end - start || shape[1] != featureDim) {
                    throw new IllegalStateException("the backbone gave features of shape " + features.getShape()
                            + " for " + (end - start) + " images, expected (" + (end - start) + ", " + featureDim
                            + ")");
                }
                float[] flat = features.toType(DataType.FLOAT32, false).toFloatArray();
                for (int i = 0; i < end - start; i++) {
                    float[] row = new float[featureDim];
                    System.arraycopy(flat, i * featureDim, row, 0, featureDim);
                    out[start + i] = row;
                }
            }
        }
        return out;
    }
}
