package dev.pyro.internal.archive;

import java.io.IOException;

/**
 * Receives a checked entry stream: an entry, then (for a file) exactly its size in
 * {@link #data} calls. Implementations: a guest import, a host staging tree, an export output.
 */
public interface EntrySink {
    void entry(Entry entry) throws IOException;

    /** The next bytes of the current file; the buffer is reused after the call returns. */
    void data(byte[] buffer, int offset, int length) throws IOException;
}
