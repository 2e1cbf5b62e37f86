package io.dinostream.local;

import java.util.List;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.PageSet;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.domain.StorageType;
import org.jclouds.blobstore.domain.internal.PageSetImpl;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;

/**
 * The jclouds "filesystem" blob store without its folders in flat listings. That store keeps each
 * key's "a/b/" parts as real directories and lists them, recursively, as objects named {@code a/}
 * and {@code a/b/} whose size is the directory's (4096 bytes); through S3Proxy every
 * {@code ListObjects} without a delimiter then shows such placeholders, which S3 itself never
 * has. A listing with a delimiter keeps them: there they are the common prefixes. (Clients such
 * as MinIO's send an empty {@code delimiter=} for a flat listing; S3 treats it as none.)
 */
final class FolderlessBlobStore extends ForwardingBlobStore {

    FolderlessBlobStore(BlobStore delegate) {
        super(delegate);
    }

    @Override
    public PageSet<? extends StorageMetadata> list(String container, ListContainerOptions options) {
        PageSet<? extends StorageMetadata> page = delegate().list(container, options);
        if (options.getDelimiter() != null && !options.getDelimiter().isEmpty()) {
            return page;
        }
        List<StorageMetadata> objects = page.stream()
                .filter(metadata -> metadata.getType() != StorageType.FOLDER
                        && metadata.getType() != StorageType.RELATIVE_PATH)
                .map(metadata -> (StorageMetadata) metadata)
                .toList();
        return new PageSetImpl<>(objects, page.getNextMarker());
    }
}
