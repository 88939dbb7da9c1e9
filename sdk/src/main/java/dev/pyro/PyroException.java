package dev.pyro;

import java.util.Objects;

/**
 * The one exception type the SDK throws for problems a caller can act on. Its message is a
 * single line that names the problem and the fix (for example {@code "unknown environment
 * 'debian:13'; known environments: debian:12-base"}); {@link #kind()} classifies it for
 * front-ends (CLI exit codes, MCP error codes).
 */
public class PyroException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, from the caller's point of view. */
    public enum Kind {
        /** The request itself is wrong (bad argument, unknown environment or id). */
        INVALID_ARGUMENT,
        /** A named thing (environment, VM, workspace, file) does not exist. */
        NOT_FOUND,
        /** The host lacks something (a package, KVM, permissions, disk space). */
        HOST_SETUP,
        /** The guest runtime (kernel, agent, root image) is missing, stale or corrupt. */
        RUNTIME_NOT_READY,
        /** Building a runtime component failed. */
        BUILD_FAILED,
        /** The VM failed to boot, died, or its guest agent misbehaved. */
        VM_FAILED,
        /** The operation was interrupted or cancelled. */
        CANCELLED,
        /**
         * The instance's {@link HostAccess} forbids it: a host path outside the allowed roots, or
         * host-compat where its operator did not enable it. Retrying with other arguments does not
         * help; only whoever configured the instance can open the door
         * ({@link HostAccessDeniedException#door()}).
         */
        NOT_PERMITTED,
        /** A bug in pyro. */
        INTERNAL
    }

    private final Kind kind;

    public PyroException(Kind kind, String message) {
        super(Objects.requireNonNull(message, "message"));
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public PyroException(Kind kind, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }

    public static PyroException invalidArgument(String message) {
        return new PyroException(Kind.INVALID_ARGUMENT, message);
    }
}
