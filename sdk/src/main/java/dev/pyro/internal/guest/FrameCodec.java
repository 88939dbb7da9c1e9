package dev.pyro.internal.guest;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes, decodes and renders guest-protocol frames (docs/guest-protocol.md, "Frames").
 * Decoding is strict: a payload shorter than its fields, a {@code bytes} size or {@code list}
 * count larger than the data left, or a length outside [5, 1048581] is a
 * {@link ProtocolException}. Bytes after the known fields are ignored, as the spec requires.
 */
public final class FrameCodec {
    /** Size of the length field. */
    public static final int LENGTH_FIELD = 4;
    /** Type and channel: the part of {@code length} that is not payload. */
    public static final int BODY_HEADER = 5;
    /** Largest payload a frame may carry (1 MiB). */
    public static final int MAX_PAYLOAD = 1 << 20;
    /** Largest value of the length field. */
    public static final int MAX_LENGTH = MAX_PAYLOAD + BODY_HEADER;
    /** Largest data a single {@code bytes} field can carry (IMPORT_DATA, EXPORT_DATA, STDIN...). */
    public static final int MAX_DATA = MAX_PAYLOAD - 4;

    private FrameCodec() {
    }

    /**
     * Checks a length field (read as unsigned) before anything else of the frame is read, so a
     * receiver never allocates for a frame it will reject.
     */
    public static int checkLength(int lengthField) throws ProtocolException {
        long length = Integer.toUnsignedLong(lengthField);
        if (length < BODY_HEADER || length > MAX_LENGTH) {
            throw new ProtocolException("frame length " + length + " outside [" + BODY_HEADER + ", "
                    + MAX_LENGTH + "]: framing lost");
        }
        return (int) length;
    }

    /** Decodes exactly one whole frame (length field included); trailing bytes are an error. */
    public static Frame decode(byte[] frame) throws ProtocolException {
        if (frame.length < LENGTH_FIELD) {
            throw new ProtocolException("frame shorter than its length field");
        }
        int length = checkLength(ByteBuffer.wrap(frame).getInt());
        if (frame.length - LENGTH_FIELD != length) {
            throw new ProtocolException("length field says " + length + " bytes, " + (frame.length - LENGTH_FIELD)
                    + " follow");
        }
        return decodeBody(frame, LENGTH_FIELD, length);
    }

    /**
     * Decodes the bytes the length field counts (type, channel, payload).
     *
     * @throws UnknownFrameTypeException for a type this protocol version does not define (the
     *     stream's framing is still intact; the caller may skip the frame)
     */
    public static Frame decodeBody(byte[] buf, int offset, int length) throws ProtocolException {
        if (length < BODY_HEADER) {
            throw new ProtocolException("frame length " + length + " below " + BODY_HEADER);
        }
        ByteBuffer b = ByteBuffer.wrap(buf, offset, length).slice();
        int code = b.get() & 0xFF;
        int ch = b.getInt();
        FrameType type = FrameType.of(code);
        if (type == null) {
            throw new UnknownFrameTypeException(code, ch);
        }
        try {
            return switch (type) {
                case HELLO -> new Frame.Hello(ch, b.getInt(), b.getLong());
                case PING -> new Frame.Ping(ch, bytes(b));
                case EXEC -> new Frame.Exec(ch, b.getInt(), b.getInt(), bytes(b), list(b), list(b));
                case STDIN -> new Frame.Stdin(ch, bytes(b));
                case SIGNAL -> new Frame.Signal(ch, b.getInt());
                case SHUTDOWN -> new Frame.Shutdown(ch, b.get() & 0xFF);
                case IMPORT -> new Frame.Import(ch, bytes(b), b.getInt(), b.getLong(), b.getLong());
                case IMPORT_ENTRY -> new Frame.ImportEntry(ch, b.get() & 0xFF, bytes(b), b.getInt(), b.getLong(),
                        b.getLong(), bytes(b));
                case IMPORT_DATA -> new Frame.ImportData(ch, bytes(b));
                case IMPORT_END -> new Frame.ImportEnd(ch);
                case CANCEL -> new Frame.Cancel(ch);
                case EXPORT -> new Frame.Export(ch, bytes(b), b.getInt());
                case STAT -> new Frame.Stat(ch, bytes(b));
                case HELLO_OK -> new Frame.HelloOk(ch, b.getInt(), bytes(b), bytes(b), b.getInt());
                case PONG -> new Frame.Pong(ch, bytes(b));
                case STARTED -> new Frame.Started(ch, b.getInt());
                case STDOUT -> new Frame.Stdout(ch, bytes(b));
                case STDERR -> new Frame.Stderr(ch, bytes(b));
                case EXIT -> new Frame.Exit(ch, b.getInt(), b.get() & 0xFF, b.getInt(), b.getLong());
                case SHUTDOWN_OK -> new Frame.ShutdownOk(ch);
                case IMPORT_OK -> new Frame.ImportOk(ch, b.getLong(), b.getLong());
                case EXPORT_ENTRY -> new Frame.ExportEntry(ch, b.get() & 0xFF, bytes(b), b.getInt(), b.getLong(),
                        b.getLong(), bytes(b));
                case EXPORT_DATA -> new Frame.ExportData(ch, bytes(b));
                case EXPORT_END -> new Frame.ExportEnd(ch, b.getLong(), b.getLong(), b.getLong());
                case STAT_OK -> new Frame.StatOk(ch, b.get() & 0xFF, b.getInt(), b.getLong(), b.getLong(), bytes(b));
                case ERROR -> new Frame.Error(ch, b.getInt(), b.getInt(), bytes(b));
            };
        } catch (BufferUnderflowException e) {
            throw new ProtocolException(type + " payload shorter than its fields");
        }
    }

    private static byte[] bytes(ByteBuffer b) throws ProtocolException {
        long size = Integer.toUnsignedLong(b.getInt());
        if (size > b.remaining()) {
            throw new ProtocolException("bytes field of " + size + " bytes, only " + b.remaining() + " left");
        }
        byte[] out = new byte[(int) size];
        b.get(out);
        return out;
    }

    private static List<byte[]> list(ByteBuffer b) throws ProtocolException {
        long count = Integer.toUnsignedLong(b.getInt());
        // Each item needs at least its 4-byte size: reject impossible counts before allocating.
        if (count > b.remaining() / 4) {
            throw new ProtocolException("list of " + count + " items, only " + b.remaining() + " bytes left");
        }
        List<byte[]> items = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            items.add(bytes(b));
        }
        return items;
    }

    /** Encodes a frame, length field included. */
    public static byte[] encode(Frame frame) {
        int payload = payloadSize(frame);
        if (payload > MAX_PAYLOAD) {
            throw new IllegalArgumentException(frame.type() + " payload of " + payload + " bytes exceeds "
                    + MAX_PAYLOAD);
        }
        ByteBuffer b = ByteBuffer.allocate(LENGTH_FIELD + BODY_HEADER + payload);
        b.putInt(BODY_HEADER + payload).put((byte) frame.type().code()).putInt(frame.channel());
        // Java 17 has no pattern switch; the type enum drives an exhaustive switch instead.
        switch (frame.type()) {
            case HELLO -> {
                Frame.Hello f = (Frame.Hello) frame;
                b.putInt(f.version()).putLong(f.hostTimeNs());
            }
            case PING -> putBytes(b, ((Frame.Ping) frame).data());
            case EXEC -> {
                Frame.Exec f = (Frame.Exec) frame;
                b.putInt(f.flags()).putInt(f.timeoutMs());
                putBytes(b, f.cwd());
                putList(b, f.argv());
                putList(b, f.env());
            }
            case STDIN -> putBytes(b, ((Frame.Stdin) frame).data());
            case SIGNAL -> b.putInt(((Frame.Signal) frame).signal());
            case SHUTDOWN -> b.put(u8(((Frame.Shutdown) frame).mode(), "mode"));
            case IMPORT -> {
                Frame.Import f = (Frame.Import) frame;
                putBytes(b, f.dest());
                b.putInt(f.flags()).putLong(f.maxEntries()).putLong(f.maxBytes());
            }
            case IMPORT_ENTRY -> {
                Frame.ImportEntry f = (Frame.ImportEntry) frame;
                putEntry(b, f.kind(), f.path(), f.mode(), f.mtimeNs(), f.size(), f.target());
            }
            case IMPORT_DATA, EXPORT_DATA -> putBytes(b, data(frame));
            case IMPORT_END, CANCEL -> { }
            case EXPORT -> {
                Frame.Export f = (Frame.Export) frame;
                putBytes(b, f.path());
                b.putInt(f.flags());
            }
            case STAT -> putBytes(b, ((Frame.Stat) frame).path());
            case HELLO_OK -> {
                Frame.HelloOk f = (Frame.HelloOk) frame;
                b.putInt(f.version());
                putBytes(b, f.agentVersion());
                putBytes(b, f.kernelRelease());
                b.putInt(f.features());
            }
            case PONG -> putBytes(b, ((Frame.Pong) frame).data());
            case STARTED -> b.putInt(((Frame.Started) frame).pid());
            case STDOUT -> putBytes(b, ((Frame.Stdout) frame).data());
            case STDERR -> putBytes(b, ((Frame.Stderr) frame).data());
            case EXIT -> {
                Frame.Exit f = (Frame.Exit) frame;
                b.putInt(f.exitCode()).put(u8(f.timedOut(), "timed_out")).putInt(f.signal()).putLong(f.durationUs());
            }
            case SHUTDOWN_OK -> { }
            case IMPORT_OK -> {
                Frame.ImportOk f = (Frame.ImportOk) frame;
                b.putLong(f.entries()).putLong(f.bytes());
            }
            case EXPORT_ENTRY -> {
                Frame.ExportEntry f = (Frame.ExportEntry) frame;
                putEntry(b, f.kind(), f.path(), f.mode(), f.mtimeNs(), f.size(), f.target());
            }
            case EXPORT_END -> {
                Frame.ExportEnd f = (Frame.ExportEnd) frame;
                b.putLong(f.entries()).putLong(f.bytes()).putLong(f.skipped());
            }
            case STAT_OK -> {
                Frame.StatOk f = (Frame.StatOk) frame;
                b.put(u8(f.kind(), "kind")).putInt(f.mode()).putLong(f.size()).putLong(f.mtimeNs());
                putBytes(b, f.target());
            }
            case ERROR -> {
                Frame.Error f = (Frame.Error) frame;
                b.putInt(f.code()).putInt(f.errno());
                putBytes(b, f.message());
            }
        }
        return b.array();
    }

    /**
     * Encodes an IMPORT_DATA frame straight from a slice of a buffer (one copy, no record), for
     * streaming file content.
     */
    public static byte[] encodeImportData(int channel, byte[] buf, int offset, int length) {
        if (length < 1 || length > MAX_DATA) {
            throw new IllegalArgumentException("IMPORT_DATA of " + length + " bytes outside [1, " + MAX_DATA + "]");
        }
        ByteBuffer b = ByteBuffer.allocate(LENGTH_FIELD + BODY_HEADER + 4 + length);
        b.putInt(BODY_HEADER + 4 + length).put((byte) FrameType.IMPORT_DATA.code()).putInt(channel);
        b.putInt(length).put(buf, offset, length);
        return b.array();
    }

    private static void putEntry(ByteBuffer b, int kind, byte[] path, int mode, long mtimeNs, long size,
            byte[] target) {
        b.put(u8(kind, "kind"));
        putBytes(b, path);
        b.putInt(mode).putLong(mtimeNs).putLong(size);
        putBytes(b, target);
    }

    private static int payloadSize(Frame frame) {
        long size = switch (frame.type()) {
            case HELLO -> 12;
            case PING, STDIN, PONG, STDOUT, STDERR, IMPORT_DATA, EXPORT_DATA -> 4L + data(frame).length;
            case IMPORT -> 4L + ((Frame.Import) frame).dest().length + 4 + 8 + 8;
            case IMPORT_ENTRY -> {
                Frame.ImportEntry f = (Frame.ImportEntry) frame;
                yield entrySize(f.path(), f.target());
            }
            case EXPORT_ENTRY -> {
                Frame.ExportEntry f = (Frame.ExportEntry) frame;
                yield entrySize(f.path(), f.target());
            }
            case IMPORT_END, CANCEL -> 0;
            case EXPORT -> 4L + ((Frame.Export) frame).path().length + 4;
            case STAT -> 4L + ((Frame.Stat) frame).path().length;
            case IMPORT_OK -> 16;
            case EXPORT_END -> 24;
            case STAT_OK -> 1 + 4 + 8 + 8 + 4L + ((Frame.StatOk) frame).target().length;
            case EXEC -> {
                Frame.Exec f = (Frame.Exec) frame;
                yield 8 + 4L + f.cwd().length + listSize(f.argv()) + listSize(f.env());
            }
            case SIGNAL, STARTED -> 4;
            case SHUTDOWN -> 1;
            case HELLO_OK -> {
                Frame.HelloOk f = (Frame.HelloOk) frame;
                yield 4 + 4L + f.agentVersion().length + 4L + f.kernelRelease().length + 4;
            }
            case EXIT -> 17;
            case SHUTDOWN_OK -> 0;
            case ERROR -> 8 + 4L + ((Frame.Error) frame).message().length;
        };
        return (int) Math.min(size, Integer.MAX_VALUE - 64);
    }

    private static long entrySize(byte[] path, byte[] target) {
        return 1 + 4L + path.length + 4 + 8 + 8 + 4L + target.length;
    }

    /** The single {@code bytes data} field of PING, STDIN, PONG, STDOUT, STDERR, IMPORT_DATA, EXPORT_DATA. */
    private static byte[] data(Frame frame) {
        if (frame instanceof Frame.Ping f) {
            return f.data();
        } else if (frame instanceof Frame.Stdin f) {
            return f.data();
        } else if (frame instanceof Frame.Pong f) {
            return f.data();
        } else if (frame instanceof Frame.Stdout f) {
            return f.data();
        } else if (frame instanceof Frame.Stderr f) {
            return f.data();
        } else if (frame instanceof Frame.ImportData f) {
            return f.data();
        } else if (frame instanceof Frame.ExportData f) {
            return f.data();
        }
        throw new IllegalArgumentException(frame.type() + " has no data field");
    }

    private static long listSize(List<byte[]> items) {
        long size = 4;
        for (byte[] item : items) {
            size += 4L + item.length;
        }
        return size;
    }

    private static byte u8(int value, String field) {
        if (value < 0 || value > 255) {
            throw new IllegalArgumentException(field + " " + value + " does not fit a u8");
        }
        return (byte) value;
    }

    private static void putBytes(ByteBuffer b, byte[] data) {
        b.putInt(data.length).put(data);
    }

    private static void putList(ByteBuffer b, List<byte[]> items) {
        b.putInt(items.size());
        for (byte[] item : items) {
            putBytes(b, item);
        }
    }

    /** The canonical one-line rendering of docs/guest-protocol.md, "Test vectors". */
    public static String render(Frame frame) {
        StringBuilder s = new StringBuilder(frame.type().name()).append(" ch=")
                .append(Integer.toUnsignedString(frame.channel()));
        switch (frame.type()) {
            case HELLO -> {
                Frame.Hello f = (Frame.Hello) frame;
                s.append(" version=").append(u32(f.version()))
                        .append(" host_time_ns=").append(Long.toUnsignedString(f.hostTimeNs()));
            }
            case PING, STDIN, PONG, STDOUT, STDERR, IMPORT_DATA, EXPORT_DATA -> field(s, "data", data(frame));
            case IMPORT -> {
                Frame.Import f = (Frame.Import) frame;
                field(s, "dest", f.dest());
                s.append(" flags=").append(u32(f.flags()))
                        .append(" max_entries=").append(Long.toUnsignedString(f.maxEntries()))
                        .append(" max_bytes=").append(Long.toUnsignedString(f.maxBytes()));
            }
            case IMPORT_ENTRY -> {
                Frame.ImportEntry f = (Frame.ImportEntry) frame;
                renderEntry(s, f.kind(), f.path(), f.mode(), f.mtimeNs(), f.size(), f.target());
            }
            case EXPORT_ENTRY -> {
                Frame.ExportEntry f = (Frame.ExportEntry) frame;
                renderEntry(s, f.kind(), f.path(), f.mode(), f.mtimeNs(), f.size(), f.target());
            }
            case IMPORT_END, CANCEL -> { }
            case EXPORT -> {
                Frame.Export f = (Frame.Export) frame;
                field(s, "path", f.path());
                s.append(" flags=").append(u32(f.flags()));
            }
            case STAT -> field(s, "path", ((Frame.Stat) frame).path());
            case IMPORT_OK -> {
                Frame.ImportOk f = (Frame.ImportOk) frame;
                s.append(" entries=").append(Long.toUnsignedString(f.entries()))
                        .append(" bytes=").append(Long.toUnsignedString(f.bytes()));
            }
            case EXPORT_END -> {
                Frame.ExportEnd f = (Frame.ExportEnd) frame;
                s.append(" entries=").append(Long.toUnsignedString(f.entries()))
                        .append(" bytes=").append(Long.toUnsignedString(f.bytes()))
                        .append(" skipped=").append(Long.toUnsignedString(f.skipped()));
            }
            case STAT_OK -> {
                Frame.StatOk f = (Frame.StatOk) frame;
                s.append(" kind=").append(f.kind()).append(" mode=").append(u32(f.mode()))
                        .append(" size=").append(Long.toUnsignedString(f.size()))
                        .append(" mtime_ns=").append(Long.toUnsignedString(f.mtimeNs()));
                field(s, "target", f.target());
            }
            case EXEC -> {
                Frame.Exec f = (Frame.Exec) frame;
                s.append(" flags=").append(u32(f.flags())).append(" timeout_ms=").append(u32(f.timeoutMs()));
                field(s, "cwd", f.cwd());
                listField(s, "argv", f.argv());
                listField(s, "env", f.env());
            }
            case SIGNAL -> s.append(" signal=").append(((Frame.Signal) frame).signal());
            case SHUTDOWN -> s.append(" mode=").append(((Frame.Shutdown) frame).mode());
            case HELLO_OK -> {
                Frame.HelloOk f = (Frame.HelloOk) frame;
                s.append(" version=").append(u32(f.version()));
                field(s, "agent_version", f.agentVersion());
                field(s, "kernel_release", f.kernelRelease());
                s.append(" features=").append(u32(f.features()));
            }
            case STARTED -> s.append(" pid=").append(((Frame.Started) frame).pid());
            case EXIT -> {
                Frame.Exit f = (Frame.Exit) frame;
                s.append(" exit_code=").append(f.exitCode()).append(" timed_out=").append(f.timedOut())
                        .append(" signal=").append(f.signal())
                        .append(" duration_us=").append(Long.toUnsignedString(f.durationUs()));
            }
            case SHUTDOWN_OK -> { }
            case ERROR -> {
                Frame.Error f = (Frame.Error) frame;
                s.append(" code=").append(u32(f.code())).append(" errno=").append(f.errno());
                field(s, "message", f.message());
            }
        }
        return s.toString();
    }

    private static void renderEntry(StringBuilder s, int kind, byte[] path, int mode, long mtimeNs, long size,
            byte[] target) {
        s.append(" kind=").append(kind);
        field(s, "path", path);
        s.append(" mode=").append(u32(mode))
                .append(" mtime_ns=").append(Long.toUnsignedString(mtimeNs))
                .append(" size=").append(Long.toUnsignedString(size));
        field(s, "target", target);
    }

    private static String u32(int value) {
        return Integer.toUnsignedString(value);
    }

    private static void field(StringBuilder s, String name, byte[] data) {
        s.append(' ').append(name).append('=');
        quote(s, data);
    }

    private static void listField(StringBuilder s, String name, List<byte[]> items) {
        s.append(' ').append(name).append("=[");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                s.append(',');
            }
            quote(s, items.get(i));
        }
        s.append(']');
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Renders bytes as the spec's quoted string: printable ASCII as is, the rest as \xHH. */
    public static String quote(byte[] data) {
        StringBuilder s = new StringBuilder(data.length + 2);
        quote(s, data);
        return s.toString();
    }

    private static void quote(StringBuilder s, byte[] data) {
        s.append('"');
        for (byte value : data) {
            int c = value & 0xFF;
            if (c >= 0x20 && c <= 0x7E && c != '"' && c != '\\') {
                s.append((char) c);
            } else {
                s.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        s.append('"');
    }
}
