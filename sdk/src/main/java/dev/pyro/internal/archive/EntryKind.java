package dev.pyro.internal.archive;

import dev.pyro.internal.guest.Frame;

/** The four kinds of entry a transfer stream can carry (docs/guest-protocol.md, "Entries"). */
public enum EntryKind {
    DIRECTORY(Frame.KIND_DIRECTORY, "directory"),
    FILE(Frame.KIND_FILE, "file"),
    SYMLINK(Frame.KIND_SYMLINK, "symlink"),
    HARDLINK(Frame.KIND_HARDLINK, "hardlink");

    private final int wire;
    private final String word;

    EntryKind(int wire, String word) {
        this.wire = wire;
        this.word = word;
    }

    /** The {@code kind} byte on the wire. */
    public int wire() {
        return wire;
    }

    /** The word used in messages. */
    public String word() {
        return word;
    }

    /** The kind with this wire code, or null for anything else (devices, fifos, unknown codes). */
    public static EntryKind ofWire(int code) {
        for (EntryKind k : values()) {
            if (k.wire == code) {
                return k;
            }
        }
        return null;
    }
}
