package io.dinostream.datasets;

import java.nio.file.Path;

/**
 * Opens an {@link ImageSource} from a one-string spec, as given on the command line:
 *
 * <ul>
 *   <li>{@code synthetic} or {@code synthetic:CLASSES}: endless {@link SyntheticSource} of 32 px
 *       PNGs in 10 (or CLASSES, 2..10) classes;
 *   <li>{@code idx:PATH}: MNIST-format IDX files ({@link IdxSource}), PATH an images file or a
 *       directory holding one (e.g. Debian's {@code /usr/share/datasets/fashion-mnist});
 *   <li>{@code folder:PATH}: every JPEG/PNG under a directory, labelled by first-level subfolder
 *       ({@link FolderSource}).
 * </ul>
 */
public final class ImageSources {

    /** The accepted forms, quoted in errors. */
    public static final String FORMS = "synthetic | synthetic:CLASSES | idx:PATH | folder:PATH";

    /** Side of the synthetic images, in pixels. */
    public static final int SYNTHETIC_SIZE = 32;

    private ImageSources() {}

    /**
     * Opens the source named by {@code spec}.
     *
     * @param seed seeds the synthetic generator; dataset sources are read in file order and ignore it
     * @throws IllegalArgumentException for a malformed spec or a path that holds no usable data
     * @throws java.io.UncheckedIOException when the files exist but cannot be read
     */
    public static ImageSource open(String spec, long seed) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("image source spec is empty; use one of: " + FORMS);
        }
        String s = spec.strip();
        if (s.equals("synthetic")) {
            return new SyntheticSource(SYNTHETIC_SIZE, SyntheticImages.CLASS_NAMES.length, seed);
        }
        if (s.startsWith("synthetic:")) {
            String count = s.substring("synthetic:".length());
            int classes;
            try {
                classes = Integer.parseInt(count);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "image source '"
                                + spec
                                + "': '"
                                + count
                                + "' is not a number of classes (2.."
                                + SyntheticImages.CLASS_NAMES.length
                                + "); use one of: "
                                + FORMS);
            }
            return new SyntheticSource(SYNTHETIC_SIZE, classes, seed);
        }
        if (s.startsWith("idx:")) {
            return IdxSource.open(path(spec, s.substring("idx:".length())));
        }
        if (s.startsWith("folder:")) {
            return FolderSource.open(path(spec, s.substring("folder:".length())));
        }
        throw new IllegalArgumentException(
                "unknown image source '" + spec + "'; use one of: " + FORMS);
    }

    private static Path path(String spec, String path) {
        if (path.isBlank()) {
            throw new IllegalArgumentException(
                    "image source '" + spec + "' has no path; use one of: " + FORMS);
        }
        return Path.of(path);
    }

    /** Refuses an endless source (synthetic) read without a limit: a command on it would never end. */
    public static void requireEnd(String spec, long limit, String flag) {
        if (limit == 0 && spec.startsWith("synthetic")) {
            throw new IllegalArgumentException(flag + " " + spec + " never ends: give --limit N");
        }
    }
}
