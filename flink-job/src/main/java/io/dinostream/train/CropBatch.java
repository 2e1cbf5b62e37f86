package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.dinostream.augment.ImageNetNormalization;
import io.dinostream.types.CropSet;
import io.dinostream.types.RgbImage;

import java.util.ArrayList;
import java.util.List;

/** A batch of multi-crop views of B images; pixels are normalised on the trainer's device. */
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
        int globals = crops.get(0).globalViews().size();
        List<RgbImage> views = new ArrayList<>(crops.size());
        for (CropSet c : crops) {
            views.add(v < globals ? c.globalViews().get(v) : c.localViews().get(v - globals));
        }
        return ImageNetNormalization.toTensor(views, manager, dataType);
    }
}
