package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.List;

/** A batch of views that are already numbers (features or normalised pixels), view by view. */
public final class TensorBatch implements DinoBatch {

    private final List<double[]> views;
    private final Shape viewShape;

    /**
     * @param views one flat array per view, each holding B × (per-item shape) values
     * @param viewShape the shape of one view's tensor, (B, …)
     */
    public TensorBatch(List<double[]> views, Shape viewShape) {
        for (double[] v : views) {
            if (v.length != viewShape.size()) {
                throw new IllegalArgumentException(
                        "each view needs " + viewShape.size() + " values for shape " + viewShape);
            }
        }
        this.views = List.copyOf(views);
        this.viewShape = viewShape;
    }

    @Override
    public int size() {
        return (int) viewShape.get(0);
    }

    @Override
    public int viewCount() {
        return views.size();
    }

    @Override
    public NDArray view(int v, NDManager manager, DataType dataType) {
        NDArray values = manager.create(views.get(v), viewShape);
        return dataType == DataType.FLOAT64 ? values : values.toType(dataType, false);
    }
}
