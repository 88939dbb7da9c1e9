package dev.pyro.internal.guest;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads frames from a byte channel. Small frames come out of one 64 KiB buffer (many frames
 * per read call); the rest of a large frame is read straight into the frame's own array, so
 * no byte is copied twice and memory stays at one frame plus the buffer. Not thread-safe: one
 * reader thread owns it.
 */
public final class FrameReader {
    private final ReadableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024).flip();

    public FrameReader(ReadableByteChannel channel) {
        this.channel = channel;
    }

    /**
     * The next frame, or null when the stream ended cleanly between frames.
     *
     * @throws UnknownFrameTypeException a frame of an unknown type was consumed; reading may go on
     * @throws ProtocolException the framing is lost (bad length or payload); the stream is unusable
     * @throws EOFException the stream ended inside a frame
     */
    public Frame read() throws IOException {
        if (!fill(FrameCodec.LENGTH_FIELD)) {
            if (buffer.hasRemaining()) {
                throw new EOFException("stream ended inside a frame's length field");
            }
            return null;
        }
        int length = FrameCodec.checkLength(buffer.getInt());
        byte[] body = new byte[length];
        int have = Math.min(buffer.remaining(), length);
        buffer.get(body, 0, have);
        if (have < length) {
            ByteBuffer rest = ByteBuffer.wrap(body, have, length - have);
            while (rest.hasRemaining()) {
                if (channel.read(rest) < 0) {
                    throw new EOFException("stream ended inside a frame (" + rest.position() + " of " + length
                            + " bytes)");
                }
            }
        }
        return FrameCodec.decodeBody(body, 0, length);
    }

    /** Makes at least {@code n} bytes available; false if the stream ended first. */
    private boolean fill(int n) throws IOException {
        if (buffer.remaining() >= n) {
            return true;
        }
        buffer.compact();
        try {
            while (buffer.position() < n) {
                if (channel.read(buffer) < 0) {
                    return false;
                }
            }
        } finally {
            buffer.flip();
        }
        return true;
    }
}
