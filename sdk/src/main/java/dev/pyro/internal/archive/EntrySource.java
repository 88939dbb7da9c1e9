package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream of entries to import (a host directory, a tar archive), in an order where parents
 * come before their contents. Entries come out as the source has them (names normalized to
 * the wire form where the format has variants, e.g. {@code ./a/}), not yet checked: the
 * caller runs each through an {@link EntryValidator}. Not thread-safe.
 */
public interface EntrySource extends Closeable {
    /**
     * The next entry, or null at the end.
     *
     * @throws EntryRejectedException an entry that no stream can carry (a device, fifo or socket)
     * @throws PyroException the source cannot be read (unreadable, malformed, truncated)
     */
    Entry next();

    /**
     * The content of the file entry {@link #next()} returned last: at most its size bytes
     * (fewer means the source was truncated or changed). Valid until the next call to next().
     */
    InputStream content();

    /** What to call an entry in messages, e.g. "archive entry". */
    String label();

    /**
     * The error for a failure while reading {@code entry}'s content: {@code got} bytes of its
     * {@code size} arrived, then the end ({@code cause} null) or an I/O error.
     */
    PyroException contentFailed(Entry entry, long got, IOException cause);

    /** Source bytes consumed so far, for progress. */
    long progressDone();

    /** Source bytes in all, or -1 when unknown (computing it may take a walk; called at most once). */
    long progressTotal();

    @Override
    void close();
}
