package dev.pyro.internal.guest;

import java.io.IOException;

/** Bytes that are not a valid guest-protocol frame (docs/guest-protocol.md). */
public class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
