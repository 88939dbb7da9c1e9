package dev.pyro.internal.guest;

import java.util.List;

/**
 * One frame of the guest protocol (docs/guest-protocol.md). Every record mirrors the table
 * of frame types field for field, in wire order.
 *
 * <p>Unsigned wire integers ({@code u32}, {@code u64}) are held in Java's signed {@code int}
 * and {@code long} with the same bits; use {@link Integer#toUnsignedLong(int)} or
 * {@link Long#toUnsignedString(long)} to read them as numbers. {@code bytes} fields are raw
 * byte arrays (paths, arguments and output need not be UTF-8); frames do not copy them, so
 * callers must not modify an array after handing it to a frame.
 */
public sealed interface Frame {
    /** The channel number (an unsigned 32-bit value). */
    int channel();

    FrameType type();

    /** Host to guest: opens the conversation. */
    record Hello(int channel, int version, long hostTimeNs) implements Frame {
        public FrameType type() {
            return FrameType.HELLO;
        }
    }

    record Ping(int channel, byte[] data) implements Frame {
        public FrameType type() {
            return FrameType.PING;
        }
    }

    /** Host to guest: run {@code argv} on a new channel. */
    record Exec(int channel, int flags, int timeoutMs, byte[] cwd, List<byte[]> argv, List<byte[]> env)
            implements Frame {
        /** Flag bit 0: the command reads the STDIN frames of its channel. */
        public static final int FLAG_STDIN = 1;

        public Exec {
            argv = List.copyOf(argv);
            env = List.copyOf(env);
        }

        public FrameType type() {
            return FrameType.EXEC;
        }
    }

    /** Host to guest: input for a command; empty data means end of input. */
    record Stdin(int channel, byte[] data) implements Frame {
        public FrameType type() {
            return FrameType.STDIN;
        }
    }

    record Signal(int channel, int signal) implements Frame {
        public FrameType type() {
            return FrameType.SIGNAL;
        }
    }

    /** Host to guest; {@code mode} is a u8 (0: power off). */
    record Shutdown(int channel, int mode) implements Frame {
        public FrameType type() {
            return FrameType.SHUTDOWN;
        }
    }

    record HelloOk(int channel, int version, byte[] agentVersion, byte[] kernelRelease, int features)
            implements Frame {
        public FrameType type() {
            return FrameType.HELLO_OK;
        }
    }

    record Pong(int channel, byte[] data) implements Frame {
        public FrameType type() {
            return FrameType.PONG;
        }
    }

    record Started(int channel, int pid) implements Frame {
        public FrameType type() {
            return FrameType.STARTED;
        }
    }

    record Stdout(int channel, byte[] data) implements Frame {
        public FrameType type() {
            return FrameType.STDOUT;
        }
    }

    record Stderr(int channel, byte[] data) implements Frame {
        public FrameType type() {
            return FrameType.STDERR;
        }
    }

    /** Guest to host: a command ended; {@code timedOut} is the wire's u8 (0 or 1). */
    record Exit(int channel, int exitCode, int timedOut, int signal, long durationUs) implements Frame {
        public FrameType type() {
            return FrameType.EXIT;
        }
    }

    record ShutdownOk(int channel) implements Frame {
        public FrameType type() {
            return FrameType.SHUTDOWN_OK;
        }
    }

    record Error(int channel, int code, int errno, byte[] message) implements Frame {
        public static final int BAD_FRAME = 1;
        public static final int UNSUPPORTED = 2;
        public static final int EXEC_FAILED = 3;
        public static final int BUSY = 4;
        public static final int INTERNAL = 5;

        public FrameType type() {
            return FrameType.ERROR;
        }
    }
}
