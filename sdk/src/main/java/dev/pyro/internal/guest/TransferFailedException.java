package dev.pyro.internal.guest;

import dev.pyro.PyroException;

/**
 * The guest agent ended a file transfer ({@code IMPORT}, {@code EXPORT}, {@code STAT}) with an
 * {@code ERROR} frame. The message is one line: the operation, then the agent's own message
 * (which names the entry and the rule for a rejected entry). {@link #code()} and
 * {@link #errno()} are the frame's fields, for callers that add their own advice.
 */
public final class TransferFailedException extends PyroException {
    private static final long serialVersionUID = 1L;

    /** Linux errno values the agent reports in transfer errors (x86-64). */
    public static final int ENOENT = 2;
    public static final int ENOTDIR = 20;
    public static final int ENOSPC = 28;
    public static final int EDQUOT = 122;

    private final int code;
    private final int errno;
    private final String guestMessage;

    private TransferFailedException(Kind kind, String message, int code, int errno, String guestMessage) {
        super(kind, message);
        this.code = code;
        this.errno = errno;
        this.guestMessage = guestMessage;
    }

    /**
     * The exception for an agent's {@code ERROR} frame.
     *
     * @param operation what was being done, e.g. {@code "import into /workspace"}
     */
    public static TransferFailedException of(String operation, Frame.Error error) {
        String guest = GuestClient.guestText(error.message());
        int code = error.code();
        Kind kind = switch (code) {
            case Frame.Error.BAD_PATH, Frame.Error.REJECTED, Frame.Error.CONFLICT, Frame.Error.LIMIT ->
                    Kind.INVALID_ARGUMENT;
            case Frame.Error.NOT_FOUND -> Kind.NOT_FOUND;
            case Frame.Error.CANCELLED -> Kind.CANCELLED;
            case Frame.Error.UNSUPPORTED -> Kind.RUNTIME_NOT_READY;
            case Frame.Error.BAD_FRAME -> Kind.INTERNAL;
            default -> Kind.VM_FAILED;
        };
        String advice = switch (code) {
            case Frame.Error.UNSUPPORTED -> "; the guest agent cannot do file transfers here: rebuild the environment's "
                    + "image with this pyro version (pyro runtime build-rootfs <environment>)";
            case Frame.Error.BUSY -> "; too many transfers run at once in this VM, retry when one has finished";
            case Frame.Error.IO -> error.errno() == ENOSPC || error.errno() == EDQUOT
                    ? " (the workspace disk is full; free space in the workspace or create it with a larger disk)" : "";
            case Frame.Error.BAD_FRAME -> " (a bug in pyro: the agent could not decode what pyro sent)";
            default -> "";
        };
        return new TransferFailedException(kind, operation + ": " + guest + advice, code, error.errno(), guest);
    }

    /** The agent's error code ({@link Frame.Error} constants). */
    public int code() {
        return code;
    }

    /** The errno the agent reported (0 if none). */
    public int errno() {
        return errno;
    }

    /** The agent's message, on one line. */
    public String guestMessage() {
        return guestMessage;
    }
}
