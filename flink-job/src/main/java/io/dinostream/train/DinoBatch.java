package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.List;

/**
 * One micro-batch for {@link DinoTrainer#step}: B source images, each seen through the same
 * number of views, global views first. A view is produced as a tensor only when the trainer asks,
 * on the trainer's manager (and so on its device).
 */
public interface DinoBatch {

    /** B, the number of source images. */
    int size();

    /** Number of views per image, global ones included. */
    int viewCount();

    /**
     * View {@code v} of every image as one tensor of shape (B, …) in {@code dataType}, ready for
     * the network (normalised), created on {@code manager}.
     */
    NDArray view(int v, NDManager manager, DataType dataType);

    /**
     * Every view, in order, as {@link #view} makes them. A batch of pixels overrides it to move all
     * views to the device in one transfer.
     */
    default List<NDArray> views(NDManager manager, DataType dataType) {
        List<NDArray> views = new ArrayList<>(viewCount());
        for (int v = 0; v < viewCount(); v++) {
            views.add(view(v, manager, dataType));
        }
        return views;
    }
}
