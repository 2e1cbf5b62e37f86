package io.dinostream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

import java.util.ArrayList;
import java.util.List;

/**
 * Backbone + DINO head over a list of views (utils.MultiCropWrapper): consecutive views of the
 * same resolution go through the backbone together (so BatchNorm sees them as one batch), the
 * features are concatenated view-major and the head runs once on all of them. Tensor names are
 * {@code backbone.*} and {@code head.*}, as in the official checkpoints.
 */
public final class MultiCropWrapper extends Module {

    private final Module backbone;
    private final DinoHead head;

    public MultiCropWrapper(Module backbone, DinoHead head) {
        this.backbone = registerModule("backbone", backbone);
        this.head = registerModule("head", head);
    }

    public Module backbone() {
        return backbone;
    }

    public DinoHead head() {
        return head;
    }

    /** Head outputs for the views, rows view-major: rows [v·B, (v+1)·B) are view v. */
    public NDArray forward(List<NDArray> views, boolean training) {
        return forwardWithFeatures(views, training).output();
    }

    /** The backbone features and the head outputs of a forward pass, both view-major. */
    public record Forward(NDArray features, NDArray output) {}

    /** {@link #forward(List, boolean)}, keeping the backbone features too. */
    public Forward forwardWithFeatures(List<NDArray> views, boolean training) {
        List<NDArray> features = new ArrayList<>();
        int start = 0;
        while (start < views.size()) {
            int end = start + 1;
            while (end < views.size() && sameResolution(views.get(start), views.get(end))) {
                end++;
            }
            List<NDArray> sameSize = views.subList(start, end);
            features.add(Temporaries.freedAfter(() -> backbone.forward(
                    sameSize.size() == 1 ? sameSize.get(0) : NDArrays.concat(new NDList(sameSize)), training)));
            start = end;
        }
        NDArray all = features.size() == 1 ? features.get(0) : NDArrays.concat(new NDList(features));
        return new Forward(all, Temporaries.freedAfter(() -> head.forward(all, training)));
    }

    @Override
    public NDArray forward(NDArray input, boolean training) {
        return head.forward(backbone.forward(input, training), training);
    }

    private static boolean sameResolution(NDArray a, NDArray b) {
        long[] sa = a.getShape().getShape();
        long[] sb = b.getShape().getShape();
        return sa[sa.length - 1] == sb[sb.length - 1];
    }
}
