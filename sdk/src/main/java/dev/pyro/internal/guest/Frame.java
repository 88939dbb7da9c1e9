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

    /** Entry kinds of IMPORT_ENTRY, EXPORT_ENTRY and STAT_OK. */
    int KIND_DIRECTORY = 1;
    int KIND_FILE = 2;
    int KIND_SYMLINK = 3;
    int KIND_HARDLINK = 4;
    /** STAT_OK only: a fifo, socket or device. */
    int KIND_OTHER = 5;

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

    /**
     * Host to guest: starts an import into {@code dest} on a new channel; {@code maxEntries} and
     * {@code maxBytes} (u64, 0: no limit) cap the entries and the sum of file sizes.
     */
    record Import(int channel, byte[] dest, int flags, long maxEntries, long maxBytes) implements Frame {
        public FrameType type() {
            return FrameType.IMPORT;
        }
    }

    /**
     * Host to guest: one entry of an import (see "Entries" in the spec). {@code kind} is the
     * wire's u8 ({@link #KIND_DIRECTORY} ... {@link #KIND_HARDLINK}; other values decode but
     * the agent rejects them); {@code size} is a u64.
     */
    record ImportEntry(int channel, int kind, byte[] path, int mode, long mtimeNs, long size, byte[] target)
            implements Frame {
        public FrameType type() {
            return FrameType.IMPORT_ENTRY;
        }
    }

    /** Host to guest: the next 1 to {@link FrameCodec#MAX_DATA} bytes of the current import file. */
    record ImportData(int channel, byte[] data) implements Frame {
        public FrameType type() {
            return FrameType.IMPORT_DATA;
        }
    }

    /** Host to guest: the import's stream is complete; the agent applies it. */
    record ImportEnd(int channel) implements Frame {
        public FrameType type() {
            return FrameType.IMPORT_END;
        }
    }

    /** Host to guest: stops an import or export. */
    record Cancel(int channel) implements Frame {
        public FrameType type() {
            return FrameType.CANCEL;
        }
    }

    /** Host to guest: exports the file, symlink or tree at {@code path} on a new channel. */
    record Export(int channel, byte[] path, int flags) implements Frame {
        public FrameType type() {
            return FrameType.EXPORT;
        }
    }

    /** Host to guest: describes one path (symlinks not followed). */
    record Stat(int channel, byte[] path) implements Frame {
        public FrameType type() {
            return FrameType.STAT;
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

    /** Guest to host: the import was applied; u64 counts. */
    record ImportOk(int channel, long entries, long bytes) implements Frame {
        public FrameType type() {
            return FrameType.IMPORT_OK;
        }
    }

    /** Guest to host: one entry of an export; the root comes first, with an empty path. */
    record ExportEntry(int channel, int kind, byte[] path, int mode, long mtimeNs, long size, byte[] target)
            implements Frame {
        public FrameType type() {
            return FrameType.EXPORT_ENTRY;
        }
    }

    /** Guest to host: the next bytes of the current export file. */
    record ExportData(int channel, byte[] data) implements Frame {
        public FrameType type() {
            return FrameType.EXPORT_DATA;
        }
    }

    /** Guest to host: the export is complete; u64 counts ({@code skipped}: fifos, sockets, devices). */
    record ExportEnd(int channel, long entries, long bytes, long skipped) implements Frame {
        public FrameType type() {
            return FrameType.EXPORT_END;
        }
    }

    /** Guest to host: the answer to STAT; {@code kind} 1-3 as for entries, 5 for anything else. */
    record StatOk(int channel, int kind, int mode, long size, long mtimeNs, byte[] target) implements Frame {
        public FrameType type() {
            return FrameType.STAT_OK;
        }
    }

    record Error(int channel, int code, int errno, byte[] message) implements Frame {
        public static final int BAD_FRAME = 1;
        public static final int UNSUPPORTED = 2;
        public static final int EXEC_FAILED = 3;
        public static final int BUSY = 4;
        public static final int INTERNAL = 5;
        public static final int BAD_PATH = 6;
        public static final int NOT_FOUND = 7;
        public static final int REJECTED = 8;
        public static final int CONFLICT = 9;
        public static final int LIMIT = 10;
        public static final int IO = 11;
        public static final int CANCELLED = 12;

        public FrameType type() {
            return FrameType.ERROR;
        }
    }
}
