package io.dinostream.augment;

import io.dinostream.types.RgbImage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * torchvision ToTensor + Normalize(ImageNet mean, std), done on the trainer's device: 8-bit views
 * cross the stream (4× smaller than floats) and become (B, 3, H, W) floats only here.
 */
public final class ImageNetNormalization {

    public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] STD = {0.229f, 0.224f, 0.225f};

    private ImageNetNormalization() {}

    /** Stacks same-size views into one normalised (B, 3, H, W) tensor on {@code manager}. */
    public static NDArray toTensor(List<RgbImage> views, NDManager manager, DataType dataType) {
        RgbImage first = views.get(0);
        int h = first.height();
        int w = first.width();
        byte[] pixels = new byte[views.size() * first.byteSize()];
        for (int i = 0; i < views.size(); i++) {
            RgbImage v = views.get(i);
            if (v.width() != w || v.height() != h) {
                throw new IllegalArgumentException(
                        "views of one batch position must share a size, got " + first + " and " + v);
            }
            v.copyTo(pixels, i * first.byteSize());
        }
        NDArray raw =
                manager.create(ByteBuffer.wrap(pixels), new Shape(views.size(), h, w, 3), DataType.UINT8);
        NDArray mean = manager.create(MEAN, new Shape(1, 1, 1, 3));
        NDArray std = manager.create(STD, new Shape(1, 1, 1, 3));
        NDArray x =
                raw.toType(DataType.FLOAT32, false).div(255f).sub(mean).div(std).transpose(0, 3, 1, 2);
        return dataType == DataType.FLOAT32 ? x : x.toType(dataType, false);
    }
}
