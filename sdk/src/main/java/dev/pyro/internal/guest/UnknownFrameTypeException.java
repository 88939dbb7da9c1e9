package dev.pyro.internal.guest;

/**
 * A frame whose type this protocol version does not define. Its length was valid, so the
 * stream's framing is intact and a receiver can skip it (a later agent may send new types).
 */
public final class UnknownFrameTypeException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    private final int typeCode;
    private final int channel;

    public UnknownFrameTypeException(int typeCode, int channel) {
        super(String.format("unknown frame type 0x%02x on channel %s", typeCode, Integer.toUnsignedString(channel)));
        this.typeCode = typeCode;
        this.channel = channel;
    }

    public int typeCode() {
        return typeCode;
    }

    public int channel() {
        return channel;
    }
}
