package io.dinostream.ingest;

import io.dinostream.proto.DeadLetter;
import java.util.Objects;

/**
 * An input image the job cannot use. Checked, so that every caller decides where the record goes
 * (normally the dead-letter topic, with {@link #reason()} and {@link #getMessage()} copied into the
 * {@link DeadLetter}); the message says what was wrong and, where possible, what to do about it.
 */
public final class RejectedImageException extends Exception {

    private static final long serialVersionUID = 1L;

    private final DeadLetter.Reason reason;

    public RejectedImageException(DeadLetter.Reason reason, String message) {
        this(reason, message, null);
    }

    public RejectedImageException(DeadLetter.Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why the image was rejected, as recorded in the dead letter. */
    public DeadLetter.Reason reason() {
        return reason;
    }
}
