package dev.pyro.internal.state;

import java.nio.ByteBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** The end of a command's output as text, for the journal. */
public final class Tails {
    private Tails() {
    }

    /**
     * The last {@code maxBytes} bytes of {@code data} as text: UTF-8, with every byte sequence
     * that is not UTF-8 replaced by U+FFFD. A character cut by the start of the window is dropped
     * rather than shown as a replacement.
     */
    public static String utf8Tail(byte[] data, int maxBytes) {
        int from = Math.max(0, data.length - maxBytes);
        if (from > 0) {
            // Skip continuation bytes (10xxxxxx) of a character that started before the window.
            int limit = Math.min(data.length, from + 3);
            while (from < limit && (data[from] & 0xC0) == 0x80) {
                from++;
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            return decoder.decode(ByteBuffer.wrap(data, from, data.length - from)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("a replacing decoder cannot fail", e);
        }
    }
}
