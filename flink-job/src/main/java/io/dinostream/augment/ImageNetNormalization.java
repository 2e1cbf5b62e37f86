package io.dinostream.augment;

import io.dinostream.types.RgbImage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * torchvision ToTensor + Normalize(ImageNet mean, std), done on the trainer's device: 8-bit views
 * cross the stream (4× smaller than floats) and become (B, 3, H, W) floats only here. A batch's
 * views of every size travel to the device as one 8-bit buffer ({@link #copyPixels}), are
 * normalised there in one pass ({@link #normalize}) and cut into images ({@link #toImages}).
 */
public final class ImageNetNormalization {

    public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] STD = {0.229f, 0.224f, 0.225f};

    private ImageNetNormalization() {}

    /** Stacks same-size views into one normalised (B, 3, H, W) tensor on {@code manager}. */
    public static NDArray toTensor(List<RgbImage> views, NDManager manager, DataType dataType) {
        RgbImage first = views.get(0);
        byte[] pixels = new byte[views.size() * first.byteSize()];
        copyPixels(views, pixels, 0);
        NDArray raw = manager.create(ByteBuffer.wrap(pixels), new Shape(pixels.length / 3, 3), DataType.UINT8);
        return toImages(normalize(raw, dataType), 0, views.size(), first.height(), first.width());
    }

    /**
     * Copies same-size views' 8-bit pixels (H, W, 3 each) one after the other into {@code into} from
     * {@code offset}; returns the bytes written.
     */
    public static int copyPixels(List<RgbImage> views, byte[] into, int offset) {
        RgbImage first = views.get(0);
        for (int i = 0; i < views.size(); i++) {
            RgbImage v = views.get(i);
            if (v.width() != first.width() || v.height() != first.height()) {
                throw new IllegalArgumentException(
                        "views of one batch position must share a size, got " + first + " and " + v);
            }
            v.copyTo(into, offset + i * first.byteSize());
        }
        return views.size() * first.byteSize();
    }

    /**
     * ToTensor + Normalize on pixels already on the device: (N, 3) 8-bit RGB values, any number of
     * images of any sizes one after the other, become (N, 3) normalised values in dataType.
     */
    public static NDArray normalize(NDArray pixels, DataType dataType) {
        NDManager manager = pixels.getManager();
        NDArray mean = manager.create(MEAN, new Shape(1, 3));
        NDArray std = manager.create(STD, new Shape(1, 3));
        NDArray x = pixels.toType(DataType.FLOAT32, false).div(255f).sub(mean).div(std);
        return dataType == DataType.FLOAT32 ? x : x.toType(dataType, false);
    }

    /**
     * Images count … count + n of {@link #normalize}'s output, each h × w, as one (n, 3, h, w)
     * tensor; {@code first} counts pixels before them.
     */
    public static NDArray toImages(NDArray normalized, long first, int n, int h, int w) {
        long pixels = (long) n * h * w;
        NDArray rows = first == 0 && pixels == normalized.getShape().get(0)
                ? normalized
                : normalized.get(new NDIndex("{}:{}", first, first + pixels));
        return rows.reshape(n, h, w, 3).transpose(0, 3, 1, 2);
    }
}
