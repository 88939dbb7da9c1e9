package dev.pyro.internal.archive;

import java.util.Objects;

/**
 * One entry of a transfer stream, fields as on the wire (docs/guest-protocol.md, "Entries").
 * Paths and targets are raw bytes (Linux names need not be UTF-8); they are not copied, so
 * callers must not modify them after creating the entry.
 *
 * @param kind what it is
 * @param path relative to the destination, components separated by {@code /}; as a source
 *     found it until {@link EntryValidator} accepted it
 * @param mode permission bits (at most {@code 07777}; the validator keeps {@code 0777})
 * @param mtimeNs modification time in nanoseconds since the epoch (0 for earlier times)
 * @param size a regular file's size: exactly that many data bytes follow; 0 for other kinds
 * @param target a symlink's content or a hardlink's earlier file path; empty otherwise
 */
public record Entry(EntryKind kind, byte[] path, int mode, long mtimeNs, long size, byte[] target) {
    private static final byte[] NONE = new byte[0];

    public Entry {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        target = target == null ? NONE : target;
    }

    public static Entry directory(byte[] path, int mode, long mtimeNs) {
        return new Entry(EntryKind.DIRECTORY, path, mode, mtimeNs, 0, NONE);
    }

    public static Entry file(byte[] path, int mode, long mtimeNs, long size) {
        return new Entry(EntryKind.FILE, path, mode, mtimeNs, size, NONE);
    }

    public static Entry symlink(byte[] path, byte[] target, long mtimeNs) {
        return new Entry(EntryKind.SYMLINK, path, 0, mtimeNs, 0, target);
    }

    public static Entry hardlink(byte[] path, byte[] target) {
        return new Entry(EntryKind.HARDLINK, path, 0, 0, 0, target);
    }

    /** The path for messages (see {@link RawNames#display}). */
    public String displayPath() {
        return RawNames.display(path);
    }

    @Override
    public String toString() {
        return kind.word() + " '" + displayPath() + "'" + (target.length > 0 ? " -> '" + RawNames.display(target) + "'"
                : "") + (kind == EntryKind.FILE ? " (" + size + " bytes)" : "");
    }
}
