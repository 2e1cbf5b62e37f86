package io.dinostream.augment;

/**
 * A crop rectangle in pixel coordinates of its source image: left column {@code x}, top row
 * {@code y}, and its extent. torchvision's {@code RandomResizedCrop.get_params} returns the same
 * four numbers as {@code (i, j, h, w)} = {@code (y, x, height, width)}.
 */
public record CropBox(int x, int y, int width, int height) {

    public CropBox {
        if (x < 0 || y < 0) {
            throw new IllegalArgumentException(
                    "crop offset must be non-negative, got x=" + x + ", y=" + y);
        }
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException(
                    "crop size must be positive, got " + width + "x" + height);
        }
    }

    /** Whether the box lies inside an image of the given size. */
    public boolean fitsIn(int imageWidth, int imageHeight) {
        return x + width <= imageWidth && y + height <= imageHeight;
    }
}
