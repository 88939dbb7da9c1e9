package dev.pyro.internal.archive;

import java.nio.charset.StandardCharsets;

/**
 * Applies {@link ImportPolicy} and the rules that depend on the stream so far to each entry of
 * one transfer, in order, before the entry is sent or written:
 * <ul>
 *   <li>the path rule, and the destination plus the path at most {@value ImportPolicy#MAX_PATH}
 *       bytes below /workspace;
 *   <li>kind, mode (at most {@code 07777}), size (0 unless a file), target (empty for
 *       directories and files);
 *   <li>no entry below a path this stream made a symlink, file or hardlink (nothing is written
 *       through a symlink the stream created); the parents an entry implies are directories;
 *   <li>each path once, except that a directory may be named again (it only updates its mode);
 *   <li>symlink targets by {@link ImportPolicy#symlinkTargetRule}; a hardlink's target names an
 *       earlier regular file (or hardlink) of this stream;
 *   <li>at most {@value ImportPolicy#MAX_DEPTH} components below /workspace, and all the paths
 *       the cap counts at most {@value ImportPolicy#MAX_PATH_BYTES} bytes together;
 *   <li>the caps: at most {@link ImportCaps#maxEntries()} paths (entries, and the directories
 *       their paths imply without naming them: {@code a/b/c/f} alone makes four) and
 *       {@link ImportCaps#maxBytes()} bytes of file data;
 *   <li>when the stream is written on the host, its host paths at most
 *       {@value ImportPolicy#HOST_PATH_MAX} bytes ({@link #limitHostPaths}).
 * </ul>
 * Each check runs before the entry costs anything: the paths seen are kept in a
 * {@link PathTree}, so memory is linear in the distinct names and bounded by the entry cap.
 * An accepted entry comes back with setuid, setgid and sticky stripped ({@code mode & 0777}),
 * mode 0 for links and times before 1970 as 0. A broken rule throws
 * {@link EntryRejectedException} naming the entry and the rule. Not thread-safe.
 */
public final class EntryValidator {
    private static final byte DIR = 'D';
    private static final byte FILE = 'F';
    private static final byte LINK = 'L';

    private final String label;
    private final String consequence;
    private final int prefixLength;
    private final int prefixDepth;
    private final ImportCaps caps;
    /** Paths seen and what they are. */
    private final PathTree<Byte> seen = new PathTree<>(DIR);
    private int hostPrefix;
    private long pathBytes;
    private long entries;
    private long bytes;

    /**
     * @param label what to call an entry in messages, e.g. "archive entry"
     * @param consequence what a rejection means, e.g. "nothing was imported"
     * @param destination the destination below /workspace ("" for /workspace itself), which
     *     counts toward the path length and depth limits; "" for exports
     * @param caps the limits
     */
    public EntryValidator(String label, String consequence, String destination, ImportCaps caps) {
        this.label = label;
        this.consequence = consequence;
        this.prefixLength = destination.isEmpty() ? 0 : destination.getBytes(StandardCharsets.UTF_8).length + 1;
        this.prefixDepth = ImportPolicy.depth(destination.getBytes(StandardCharsets.UTF_8));
        this.caps = caps;
    }

    /**
     * Also refuses entries whose host path would be longer than {@value ImportPolicy#HOST_PATH_MAX}
     * bytes (Linux's limit): {@code directory} is where the stream is written on the host (a
     * staging or export directory); its length plus a '/' plus an entry's path must fit, so every
     * path written can also be deleted again.
     */
    public EntryValidator limitHostPaths(java.nio.file.Path directory) {
        this.hostPrefix = directory.toString().getBytes(StandardCharsets.UTF_8).length + 1;
        return this;
    }

    /** Entries accepted so far. */
    public long entries() {
        return entries;
    }

    /** Paths counted toward the entry cap so far: the entries and the directories they imply. */
    public long paths() {
        return seen.size();
    }

    /** File bytes accepted so far (the sum of the files' sizes). */
    public long bytes() {
        return bytes;
    }

    /** The caps this validator enforces. */
    public ImportCaps caps() {
        return caps;
    }

    /**
     * Checks the next entry of the stream.
     *
     * @return the entry to send or write (mode stripped, times clamped)
     * @throws EntryRejectedException the entry breaks a rule
     */
    public Entry accept(Entry e) {
        byte[] path = e.path();
        String rule = ImportPolicy.pathRule(path);
        if (rule != null) {
            throw reject(e, rule);
        }
        if (prefixLength + path.length > ImportPolicy.MAX_PATH) {
            throw reject(e, "its path below /workspace is longer than " + ImportPolicy.MAX_PATH + " bytes");
        }
        int depth = ImportPolicy.depth(path);
        if (prefixDepth + depth > ImportPolicy.MAX_DEPTH) {
            throw reject(e, "more than " + ImportPolicy.MAX_DEPTH + " path components below /workspace (a fixed "
                    + "limit)");
        }
        if (hostPrefix > 0 && hostPrefix + path.length > ImportPolicy.HOST_PATH_MAX) {
            throw reject(e, "its path on the host would be longer than " + ImportPolicy.HOST_PATH_MAX
                    + " bytes (Linux's limit)");
        }
        if ((e.mode() & ~07777) != 0) {
            throw reject(e, "mode 0" + Integer.toOctalString(e.mode()) + " has bits other than permission bits");
        }
        if (e.kind() != EntryKind.FILE && e.size() != 0) {
            throw reject(e, "a " + e.kind().word() + " cannot have a size");
        }
        if ((e.kind() == EntryKind.DIRECTORY || e.kind() == EntryKind.FILE) && e.target().length != 0) {
            throw reject(e, "a " + e.kind().word() + " cannot have a link target");
        }
        if (e.kind() == EntryKind.FILE && e.size() < 0) {
            throw reject(e, "negative size");
        }
        int slash = path.length - 1;
        while (slash >= 0 && path[slash] != '/') {
            slash--;
        }
        PathTree.Node parent = parents(e, path, slash);
        PathTree.Node existing = seen.child(parent, path, slash + 1, path.length);
        Byte before = existing == null ? null : seen.value(existing);
        if (before != null && (e.kind() != EntryKind.DIRECTORY || before != DIR)) {
            throw reject(e, "duplicate path (a " + word(before) + " of the same name came earlier)");
        }
        switch (e.kind()) {
            case SYMLINK -> {
                String targetRule = ImportPolicy.symlinkTargetRule(e.target(), depth);
                if (targetRule != null) {
                    throw reject(e, targetRule);
                }
            }
            case HARDLINK -> {
                String targetRule = ImportPolicy.pathRule(e.target());
                if (targetRule != null) {
                    throw reject(e, "hardlink target: " + targetRule);
                }
                PathTree.Node target = seen.find(e.target());
                if (target == null || seen.value(target) != FILE) {
                    throw reject(e, "a hardlink must name an earlier file of the same " + streamWord());
                }
            }
            default -> { }
        }
        if (existing == null) {
            checkEntryCap(e, prefixLength + path.length);
        }
        if (e.kind() == EntryKind.FILE && e.size() > caps.maxBytes() - bytes) {
            throw EntryRejectedException.of(label, e.displayPath(), "more than " + caps.maxBytes()
                    + " bytes of file data", consequence, caps.bytesAdvice());
        }
        entries++;
        if (e.kind() == EntryKind.FILE) {
            bytes += e.size();
        }
        byte kind = switch (e.kind()) {
            case DIRECTORY -> DIR;
            case FILE, HARDLINK -> FILE;
            case SYMLINK -> LINK;
        };
        if (existing == null) {
            seen.add(parent, path, slash + 1, path.length, kind);
        }
        long mtime = e.kind() == EntryKind.HARDLINK ? 0 : Math.max(0, e.mtimeNs());
        int mode = e.kind() == EntryKind.DIRECTORY || e.kind() == EntryKind.FILE ? ImportPolicy.keptMode(e.mode()) : 0;
        return new Entry(e.kind(), path, mode, mtime, e.size(), e.target());
    }

    /**
     * The directory the entry goes in. Every parent must be a directory of this stream, or new:
     * then it is an implied directory, which counts toward the entry cap like an entry.
     */
    private PathTree.Node parents(Entry e, byte[] path, int slash) {
        PathTree.Node dir = seen.root();
        int start = 0;
        for (int i = 0; i < slash + 1; i++) {
            if (path[i] != '/') {
                continue;
            }
            PathTree.Node next = seen.child(dir, path, start, i);
            if (next == null) {
                checkEntryCap(e, prefixLength + i);
                next = seen.add(dir, path, start, i, DIR);
            } else if (seen.value(next) != DIR) {
                throw reject(e, "a parent in this " + streamWord() + " is not a directory ('"
                        + RawNames.display(java.util.Arrays.copyOf(path, i)) + "' is a " + word(seen.value(next))
                        + " earlier in it; nothing is written through links)");
            }
            dir = next;
            start = i + 1;
        }
        return dir;
    }

    /**
     * Refuses one more path (of {@code length} bytes below /workspace) when the cap or the
     * limit on all paths' bytes is reached; checked before the path is kept.
     */
    private void checkEntryCap(Entry e, long length) {
        if (seen.size() >= caps.maxEntries()) {
            throw EntryRejectedException.of(label, e.displayPath(), "more than " + caps.maxEntries()
                    + " entries (counting the directories that paths imply)", consequence, caps.entriesAdvice());
        }
        if (pathBytes + length > ImportPolicy.MAX_PATH_BYTES) {
            throw EntryRejectedException.of(label, e.displayPath(), "the paths of this " + streamWord()
                    + " take more than " + ImportPolicy.MAX_PATH_BYTES + " bytes in all (a fixed limit)", consequence,
                    "split it, or use shorter names");
        }
        pathBytes += length;
    }

    /** A rejection of {@code e} for {@code rule}, in this validator's words. */
    public EntryRejectedException reject(Entry e, String rule) {
        String shown = e.displayPath();
        if (e.kind() == EntryKind.SYMLINK || e.kind() == EntryKind.HARDLINK) {
            shown += "' -> '" + RawNames.display(e.target());
        }
        return EntryRejectedException.of(label, shown, rule, consequence, null);
    }

    private String streamWord() {
        return label.startsWith("archive") ? "archive" : label.startsWith("export") ? "export" : "import";
    }

    private static String word(byte kind) {
        return kind == DIR ? "directory" : kind == FILE ? "file" : "symlink";
    }
}
