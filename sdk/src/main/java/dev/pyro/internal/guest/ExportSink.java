package dev.pyro.internal.guest;

import java.io.IOException;

/**
 * Receives an export's stream ({@link GuestClient#export}) in order, on the exporting thread:
 * the root entry first (empty path), then, for a directory, every entry below it; a regular
 * file's {@link #data} calls follow its entry and add up to its size. The client has checked
 * the sequence (data only for a file, exactly its size); the sink must check everything else
 * (paths, targets, modes): never trust the guest.
 */
public interface ExportSink {
    /**
     * One entry, fields as on the wire (docs/guest-protocol.md, "Entries").
     *
     * @param kind {@link Frame#KIND_DIRECTORY} ... {@link Frame#KIND_HARDLINK}
     * @param path raw bytes, relative to the exported root; empty for the root
     */
    void entry(int kind, byte[] path, int mode, long mtimeNs, long size, byte[] target) throws IOException;

    /** The next bytes of the current file; the array is not reused by the caller. */
    void data(byte[] data, int offset, int length) throws IOException;
}
