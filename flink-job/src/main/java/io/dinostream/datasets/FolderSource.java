package io.dinostream.datasets;

import com.google.protobuf.UnsafeByteOperations;
import io.dinostream.proto.ImageEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

/**
 * Every JPEG and PNG file under a directory, as {@link ImageEvent}s carrying the file's bytes
 * unchanged, in sorted path order. The label is the first-level subfolder, as in torchvision's
 * {@code ImageFolder} layout ({@code root/dog/1.jpg} → "dog"); files directly in the root have no
 * label. Lets users stream their own image collections without writing a producer.
 *
 * <p>Files are listed once when the source opens and read one at a time. Hidden files and folders
 * (names starting with '.', such as macOS "._x.jpg" resource forks) are skipped. The encoding comes
 * from the extension ({@code .jpg}, {@code .jpeg}, {@code .png}, any case); width and height are
 * left 0 (unknown), so the decoder takes them from the file.
 */
public final class FolderSource implements ImageSource {

    private final Path root;
    private final String source;
    private final List<String> files;
    private int index;
    private boolean closed;

    private FolderSource(Path root, List<String> files) {
        this.root = root;
        Path name = root.toAbsolutePath().normalize().getFileName();
        this.source = name == null ? root.toString() : name.toString();
        this.files = files;
    }

    /**
     * Lists the image files under {@code root}, recursively.
     *
     * @throws IllegalArgumentException when root is not a directory or holds no image files
     * @throws UncheckedIOException when it cannot be listed
     */
    public static FolderSource open(Path root) {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException(
                    "image folder "
                            + root
                            + (Files.exists(root) ? " is not a directory" : " does not exist")
                            + "; give a directory of .jpg/.jpeg/.png files, one subfolder per class");
        }
        List<String> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.forEach(
                    path -> {
                        Path relative = root.relativize(path);
                        if (relative.toString().isEmpty()
                                || !Files.isRegularFile(path)
                                || encodingOf(relative.getFileName().toString()) == null) {
                            return;
                        }
                        List<String> parts = new ArrayList<>();
                        for (Path part : relative) {
                            if (part.toString().startsWith(".")) {
                                return;
                            }
                            parts.add(part.toString());
                        }
                        files.add(String.join("/", parts));
                    });
        } catch (IOException | UncheckedIOException e) {
            throw new UncheckedIOException(
                    "could not list image folder " + root,
                    e instanceof UncheckedIOException u ? u.getCause() : (IOException) e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(
                    "image folder "
                            + root
                            + " holds no .jpg, .jpeg or .png files (hidden files are skipped)");
        }
        files.sort(null);
        return new FolderSource(root, files);
    }

    /** Number of image files. */
    public int size() {
        return files.size();
    }

    @Override
    public boolean hasNext() {
        return !closed && index < files.size();
    }

    @Override
    public ImageEvent next() {
        if (!hasNext()) {
            throw new NoSuchElementException(
                    closed
                            ? "image folder source " + root + " is closed"
                            : "all " + files.size() + " files under " + root + " were read");
        }
        String relative = files.get(index++);
        Path file = root.resolve(relative);
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read image file " + file, e);
        }
        ImageEvent.Builder event =
                ImageEvent.newBuilder()
                        .setId(relative)
                        .setSource(source)
                        .setEncoding(encodingOf(relative))
                        .setData(UnsafeByteOperations.unsafeWrap(data));
        int slash = relative.indexOf('/');
        if (slash > 0) {
            event.setLabel(relative.substring(0, slash));
        }
        return event.build();
    }

    /** Nothing stays open between files; ends the iteration. */
    @Override
    public void close() {
        closed = true;
    }

    /** JPEG or PNG by extension, null for other files. */
    private static ImageEvent.Encoding encodingOf(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) {
            return ImageEvent.Encoding.JPEG;
        }
        if (lower.endsWith(".png")) {
            return ImageEvent.Encoding.PNG;
        }
        return null;
    }
}
