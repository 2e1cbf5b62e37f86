package io.dinostream.publish;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * An {@link ObjectStore} on the local file system: each key is a file under the base folder (key
 * "a/b.json" is {@code base/a/b.json}), so checkpoints can be looked at and loaded directly.
 * Writes go to a temporary file in the target's folder that is then atomically renamed into
 * place, so a reader never sees a partial file. Thread-safe.
 */
public final class FileObjectStore implements ObjectStore {

    private final Path base;

    /** A store rooted at base, which is created (with its parents) if missing. */
    public FileObjectStore(Path base) throws IOException {
        this.base = base.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.base);
        } catch (IOException e) {
            throw new IOException(
                    "cannot create checkpoint folder " + this.base + " (" + e + "): check the path"
                            + " and that it is writable",
                    e);
        }
    }

    /** The absolute base folder. */
    public Path base() {
        return base;
    }

    @Override
    public void put(String key, byte[] data, String contentType) throws IOException {
        Path target = resolve(ObjectKeys.checkKey(key));
        Path dir = target.getParent();
        Path temp = dir.resolve(ObjectKeys.TEMP_PREFIX + UUID.randomUUID() + "-" + target.getFileName());
        try {
            Files.createDirectories(dir);
            try (FileChannel channel =
                    FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(data);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(temp, e);
            throw new IOException(describeWriteFailure(key, e), e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        Path file = resolve(ObjectKeys.checkKey(key));
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IOException("cannot read " + file + " (" + e + ")", e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        ObjectKeys.checkPrefix(prefix);
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? base : resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()
                        && !file.getFileName().toString().startsWith(ObjectKeys.TEMP_PREFIX)) {
                    String key = toKey(file);
                    if (key.startsWith(prefix)) {
                        keys.add(key);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // a temp file renamed while we looked
                }
                throw new IOException("cannot list " + file + " (" + e + ")", e);
            }
        });
        Collections.sort(keys);
        return keys;
    }

    @Override
    public String location() {
        String uri = base.toUri().toString();
        return uri.endsWith("/") && uri.length() > "file:///".length()
                ? uri.substring(0, uri.length() - 1)
                : uri;
    }

    /** Nothing to release: files are closed after every call. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        return "FileObjectStore[" + location() + "]";
    }

    private Path resolve(String relative) {
        Path path = base.resolve(relative).normalize();
        if (!path.startsWith(base)) {
            throw new IllegalArgumentException("key '" + relative + "' points outside " + base);
        }
        return path;
    }

    private String toKey(Path file) {
        Path relative = base.relativize(file);
        StringBuilder key = new StringBuilder();
        for (Path part : relative) {
            if (key.length() > 0) {
                key.append('/');
            }
            key.append(part);
        }
        return key.toString();
    }

    private String describeWriteFailure(String key, IOException e) {
        String hint;
        if (e instanceof AccessDeniedException) {
            hint = "check that " + base + " is writable";
        } else if (e instanceof FileAlreadyExistsException) {
            hint = "a file is in the way of a folder on the key's path";
        } else {
            hint = "check free space and permissions under " + base;
        }
        return "cannot write '" + key + "' to " + location() + " (" + e + "): " + hint;
    }

    private static void deleteQuietly(Path temp, IOException cause) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException suppressed) {
            cause.addSuppressed(suppressed);
        }
    }
}
