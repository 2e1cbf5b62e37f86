package io.dinostream.publish;

import java.io.IOException;

/**
 * A checkpoint that exists but cannot be trusted: a file whose size or sha256 differs from its
 * manifest, a manifest or latest.json that contradicts itself, or tensors that do not fit the
 * model the manifest describes. Nothing from such a checkpoint is used.
 */
public final class CorruptCheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    public CorruptCheckpointException(String message) {
        super(message);
    }

    public CorruptCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
