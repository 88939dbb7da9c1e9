package dev.pyro.internal.archive;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

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
 *   <li>the caps: at most {@link ImportCaps#maxEntries()} entries and
 *       {@link ImportCaps#maxBytes()} bytes of file data.
 * </ul>
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
    private final ImportCaps caps;
    /** Paths seen (ISO-8859-1 keys: one char per byte) and what they are. */
    private final Map<String, Byte> seen = new HashMap<>();
    private long entries;
    private long bytes;

    /**
     * @param label what to call an entry in messages, e.g. "archive entry"
     * @param consequence what a rejection means, e.g. "nothing was imported"
     * @param destination the destination below /workspace ("" for /workspace itself), which
     *     counts toward the path length limit; "" for exports
     * @param caps the limits
     */
    public EntryValidator(String label, String consequence, String destination, ImportCaps caps) {
        this.label = label;
        this.consequence = consequence;
        this.prefixLength = destination.isEmpty() ? 0 : destination.getBytes(StandardCharsets.UTF_8).length + 1;
        this.caps = caps;
    }

    /** Entries accepted so far. */
    public long entries() {
        return entries;
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
        String key = key(path);
        checkParents(e, path);
        Byte before = seen.get(key);
        if (before != null && (e.kind() != EntryKind.DIRECTORY || before != DIR)) {
            throw reject(e, "duplicate path (a " + word(before) + " of the same name came earlier)");
        }
        switch (e.kind()) {
            case SYMLINK -> {
                String targetRule = ImportPolicy.symlinkTargetRule(e.target(), ImportPolicy.depth(path));
                if (targetRule != null) {
                    throw reject(e, targetRule);
                }
            }
            case HARDLINK -> {
                String targetRule = ImportPolicy.pathRule(e.target());
                if (targetRule != null) {
                    throw reject(e, "hardlink target: " + targetRule);
                }
                Byte target = seen.get(key(e.target()));
                if (target == null || target != FILE) {
                    throw reject(e, "a hardlink must name an earlier file of the same " + streamWord());
                }
            }
            default -> { }
        }
        if (entries >= caps.maxEntries()) {
            throw EntryRejectedException.of(label, e.displayPath(), "more than " + caps.maxEntries() + " entries",
                    consequence, caps.entriesAdvice());
        }
        if (e.kind() == EntryKind.FILE && e.size() > caps.maxBytes() - bytes) {
            throw EntryRejectedException.of(label, e.displayPath(), "more than " + caps.maxBytes()
                    + " bytes of file data", consequence, caps.bytesAdvice());
        }
        entries++;
        if (e.kind() == EntryKind.FILE) {
            bytes += e.size();
        }
        seen.put(key, switch (e.kind()) {
            case DIRECTORY -> DIR;
            case FILE, HARDLINK -> FILE;
            case SYMLINK -> LINK;
        });
        long mtime = e.kind() == EntryKind.HARDLINK ? 0 : Math.max(0, e.mtimeNs());
        int mode = e.kind() == EntryKind.DIRECTORY || e.kind() == EntryKind.FILE ? ImportPolicy.keptMode(e.mode()) : 0;
        return new Entry(e.kind(), path, mode, mtime, e.size(), e.target());
    }

    /** Every parent of the entry must be a directory of this stream, or new (then it is one). */
    private void checkParents(Entry e, byte[] path) {
        for (int i = 0; i < path.length; i++) {
            if (path[i] != '/') {
                continue;
            }
            String parent = new String(path, 0, i, StandardCharsets.ISO_8859_1);
            Byte kind = seen.putIfAbsent(parent, DIR);
            if (kind != null && kind != DIR) {
                throw reject(e, "a parent in this " + streamWord() + " is not a directory ('"
                        + RawNames.display(parent.getBytes(StandardCharsets.ISO_8859_1)) + "' is a " + word(kind)
                        + " earlier in it; nothing is written through links)");
            }
        }
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

    private static String key(byte[] path) {
        return new String(path, StandardCharsets.ISO_8859_1);
    }
}
