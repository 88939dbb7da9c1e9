package dev.pyro.internal.guest;

import dev.pyro.PyroException;
import java.time.Duration;

/**
 * A transfer ran past its total time limit (a guest that trickles an export byte by byte, or a
 * source that takes too long). Kind {@code INVALID_ARGUMENT}: the limit is a setting; callers
 * add which one.
 */
public final class TransferTimeoutException extends PyroException {
    private static final long serialVersionUID = 1L;

    private final transient Duration limit;

    public TransferTimeoutException(String message, Duration limit) {
        super(Kind.INVALID_ARGUMENT, message);
        this.limit = limit;
    }

    /** The limit that was passed. */
    public Duration limit() {
        return limit;
    }
}
