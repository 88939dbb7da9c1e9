package dev.pyro.internal.guest;

/**
 * The frame types of guest protocol version 1 (docs/guest-protocol.md). Host-to-guest types
 * use 0x01-0x3F, guest-to-host types 0x41-0x7F.
 */
public enum FrameType {
    HELLO(0x01),
    PING(0x02),
    EXEC(0x03),
    STDIN(0x04),
    SIGNAL(0x05),
    SHUTDOWN(0x06),
    IMPORT(0x07),
    IMPORT_ENTRY(0x08),
    IMPORT_DATA(0x09),
    IMPORT_END(0x0A),
    CANCEL(0x0B),
    EXPORT(0x0C),
    STAT(0x0D),
    HELLO_OK(0x41),
    PONG(0x42),
    STARTED(0x43),
    STDOUT(0x44),
    STDERR(0x45),
    EXIT(0x46),
    SHUTDOWN_OK(0x47),
    IMPORT_OK(0x48),
    EXPORT_ENTRY(0x49),
    EXPORT_DATA(0x4A),
    EXPORT_END(0x4B),
    STAT_OK(0x4C),
    ERROR(0x4F);

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    /** The type byte on the wire. */
    public int code() {
        return code;
    }

    /** True for frames the host sends to the guest. */
    public boolean hostToGuest() {
        return code < 0x40;
    }

    /** The type with this code, or null when protocol version 1 has none. */
    public static FrameType of(int code) {
        return code >= 0 && code < 256 ? BY_CODE[code] : null;
    }
}
