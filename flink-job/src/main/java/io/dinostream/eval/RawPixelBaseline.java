package io.dinostream.eval;

import io.dinostream.augment.BicubicResize;
import io.dinostream.features.Features;
import io.dinostream.features.KnnClassifier;
import io.dinostream.types.RgbImage;

import java.util.List;

/**
 * The "raw pixels" baseline of the k-NN benchmark: every image resized to size × size (Pillow
 * bicubic, {@link BicubicResize}) and flattened, RGB interleaved row by row (HWC), to floats in
 * [0, 1]. Nothing else is done: {@link KnnClassifier} L2-normalises the rows, so this is k-NN on
 * the cosine similarity of pixels, the floor a learned backbone has to beat.
 */
public final class RawPixelBaseline {

    private RawPixelBaseline() {}

    /** One row of size × size × 3 pixel values per image, labelled by the label at the same index. */
    public static Features fromImages(List<RgbImage> images, List<String> labels, int size) {
        if (images.size() != labels.size()) {
            throw new IllegalArgumentException(
                    images.size() + " images need " + images.size() + " labels, got " + labels.size());
        }
        if (size < 1) {
            throw new IllegalArgumentException("size must be at least 1 pixel, got " + size);
        }
        int dim = Math.multiplyExact(size * size, 3);
        float[] data = new float[Math.multiplyExact(images.size(), dim)];
        byte[] pixels = new byte[dim];
        for (int i = 0; i < images.size(); i++) {
            RgbImage image = images.get(i);
            RgbImage resized = image.width() == size && image.height() == size
                    ? image
                    : BicubicResize.resize(image, size, size);
            resized.copyTo(pixels, 0);
            for (int j = 0; j < dim; j++) {
                data[i * dim + j] = (pixels[j] & 0xFF) / 255f;
            }
        }
        return new Features(data, images.size(), dim, labels.toArray(new String[0]));
    }
}
