package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.dinostream.augment.ImageNetNormalization;
import io.dinostream.types.CropSet;
import io.dinostream.types.RgbImage;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch of multi-crop views of B images. Their 8-bit pixels go to the trainer's device in one
 * transfer, all views together, and are normalised there (DESIGN: views cross the stream as 8-bit
 * pixels, normalisation happens on the trainer's device).
 */
public final class CropBatch implements DinoBatch {

    private final List<CropSet> crops;

    public CropBatch(List<CropSet> crops) {
        if (crops.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one image");
        }
        CropSet first = crops.get(0);
        for (CropSet c : crops) {
            if (c.globalViews().size() != first.globalViews().size()
                    || c.localViews().size() != first.localViews().size()) {
                throw new IllegalArgumentException(
                        "all crop sets of a batch need the same number of global and local views");
            }
        }
        this.crops = List.copyOf(crops);
    }

    @Override
    public int size() {
        return crops.size();
    }

    @Override
    public int viewCount() {
        return crops.get(0).viewCount();
    }

    @Override
    public NDArray view(int v, NDManager manager, DataType dataType) {
        return ImageNetNormalization.toTensor(viewOfEach(v), manager, dataType);
    }

    /** Every view: one host-to-device copy of all their pixels, one normalisation, then cut view by view. */
    @Override
    public List<NDArray> views(NDManager manager, DataType dataType) {
        List<List<RgbImage>> byView = new ArrayList<>(viewCount());
        long bytes = 0;
        for (int v = 0; v < viewCount(); v++) {
            List<RgbImage> images = viewOfEach(v);
            byView.add(images);
            bytes += (long) images.size() * images.get(0).byteSize();
        }
        byte[] pixels = new byte[Math.toIntExact(bytes)];
        int offset = 0;
        for (List<RgbImage> images : byView) {
            offset += ImageNetNormalization.copyPixels(images, pixels, offset);
        }
        NDArray raw = manager.create(ByteBuffer.wrap(pixels), new Shape(pixels.length / 3, 3), DataType.UINT8);
        NDArray normalized = ImageNetNormalization.normalize(raw, dataType);
        List<NDArray> views = new ArrayList<>(viewCount());
        long first = 0;
        for (List<RgbImage> images : byView) {
            RgbImage one = images.get(0);
            views.add(ImageNetNormalization.toImages(normalized, first, images.size(), one.height(), one.width()));
            first += (long) images.size() * one.height() * one.width();
        }
        return views;
    }

    /** View v of every image, in batch order. */
    private List<RgbImage> viewOfEach(int v) {
        int globals = crops.get(0).globalViews().size();
        List<RgbImage> views = new ArrayList<>(crops.size());
        for (CropSet c : crops) {
            views.add(v < globals ? c.globalViews().get(v) : c.localViews().get(v - globals));
        }
        return views;
    }
}
