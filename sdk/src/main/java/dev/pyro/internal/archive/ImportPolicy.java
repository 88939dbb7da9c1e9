package dev.pyro.internal.archive;

/**
 * The rules every transfer entry must follow, in one place (docs/transfers.md, "Rules"). They
 * match the guest agent's entry rules (docs/guest-protocol.md, "Entries") and are applied on
 * the host to every entry of a seed, a sync and an export (where the guest is not trusted)
 * before anything is sent or written; {@link EntryValidator} adds the rules that need the
 * stream's history (duplicates, parents, hardlink targets, caps).
 *
 * <p>Each rule method returns null when the input is fine, otherwise the rule it breaks as a
 * short phrase for messages.
 */
public final class ImportPolicy {
    /** Longest entry path, symlink target, and destination-plus-path below /workspace, in bytes. */
    public static final int MAX_PATH = 4000;
    /** Longest path component, in bytes. */
    public static final int MAX_COMPONENT = 255;
    /**
     * Most components of a path below /workspace. Deeper trees exist only to attack: every
     * walker that keeps a directory handle per level (exports, clean-ups) stays within this.
     */
    public static final int MAX_DEPTH = 256;
    /**
     * Most bytes the paths of one transfer may take together (every path the cap counts, at its
     * full length below /workspace): 200,000 paths of 335 bytes on average. Whoever keeps a
     * transfer's paths (the agent's staging bookkeeping and undo journal) stays within it, where
     * 200,000 paths of 4,000 bytes would need 800 MB.
     */
    public static final long MAX_PATH_BYTES = 64L << 20;
    /** Longest host path written (Linux's PATH_MAX without the NUL): what can be created can be deleted. */
    public static final int HOST_PATH_MAX = 4095;

    private ImportPolicy() {
    }

    /**
     * An archive member name in the wire's form: {@code .} and empty components dropped
     * ({@code ./a//b/} is {@code a/b}; {@code ./} is the empty name of the root itself). A
     * leading {@code /} and {@code ..} components are kept so {@link #pathRule} rejects them.
     */
    public static byte[] normalizeArchiveName(byte[] raw) {
        byte[] out = new byte[raw.length];
        int n = 0;
        if (raw.length > 0 && raw[0] == '/') {
            out[n++] = '/';
        }
        int start = 0;
        for (int i = 0; i <= raw.length; i++) {
            if (i == raw.length || raw[i] == '/') {
                int len = i - start;
                boolean dot = len == 1 && raw[start] == '.';
                if (len > 0 && !dot) {
                    if (n > 0 && out[n - 1] != '/') {
                        out[n++] = '/';
                    }
                    System.arraycopy(raw, start, out, n, len);
                    n += len;
                }
                start = i + 1;
            }
        }
        byte[] result = new byte[n];
        System.arraycopy(out, 0, result, 0, n);
        return result;
    }

    /**
     * The entry-path rule: not empty, relative, components separated by single {@code /}, no
     * {@code .} or {@code ..} component, no NUL, components at most {@value #MAX_COMPONENT}
     * bytes, at most {@value #MAX_PATH} bytes in all.
     */
    public static String pathRule(byte[] path) {
        if (path.length == 0) {
            return "empty name";
        }
        for (byte b : path) {
            if (b == 0) {
                return "NUL byte in the name";
            }
        }
        if (path[0] == '/') {
            return "absolute name (names must be relative to the destination)";
        }
        String dotDot = dotDotRule(path);
        if (dotDot != null) {
            return dotDot;
        }
        int start = 0;
        for (int i = 0; i <= path.length; i++) {
            if (i < path.length && path[i] != '/') {
                continue;
            }
            int len = i - start;
            if (len == 0) {
                return "empty name component ('//' or a trailing '/')";
            }
            if (len == 1 && path[start] == '.') {
                return "'.' component";
            }
            if (len > MAX_COMPONENT) {
                return "name component longer than " + MAX_COMPONENT + " bytes";
            }
            start = i + 1;
        }
        if (path.length > MAX_PATH) {
            return "name longer than " + MAX_PATH + " bytes";
        }
        return null;
    }

    /**
     * Any {@code ..} component is refused; the message says whether it climbs above the
     * destination (read as text, {@code a/../../x} does) or stays inside ({@code a/../x}).
     */
    private static String dotDotRule(byte[] path) {
        int depth = 0;
        boolean any = false;
        int start = 0;
        for (int i = 0; i <= path.length; i++) {
            if (i < path.length && path[i] != '/') {
                continue;
            }
            int len = i - start;
            if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
                any = true;
                if (--depth < 0) {
                    return "'..' escapes the destination";
                }
            } else if (len > 0 && !(len == 1 && path[start] == '.')) {
                depth++;
            }
            start = i + 1;
        }
        return any ? "'..' component (names must not contain '..')" : null;
    }

    /** Components of a valid entry path (0 for the empty path of an export's root). */
    public static int depth(byte[] path) {
        if (path.length == 0) {
            return 0;
        }
        int n = 1;
        for (byte b : path) {
            if (b == '/') {
                n++;
            }
        }
        return n;
    }

    /**
     * The rule for a symlink's target: not empty, relative, no NUL, at most {@value #MAX_PATH}
     * bytes, {@code ..} components only at its start and fewer of them than {@code depth} (the
     * components of the link's own path). Such a link resolves inside the destination, also
     * through other links that follow the same rule.
     */
    public static String symlinkTargetRule(byte[] target, int depth) {
        if (target.length == 0) {
            return "empty symlink target";
        }
        if (target.length > MAX_PATH) {
            return "symlink target longer than " + MAX_PATH + " bytes";
        }
        for (byte b : target) {
            if (b == 0) {
                return "NUL byte in the symlink target";
            }
        }
        if (target[0] == '/') {
            return "symlink to an absolute path (it would point outside the destination)";
        }
        int ups = 0;
        boolean sawName = false;
        int start = 0;
        for (int i = 0; i <= target.length; i++) {
            if (i < target.length && target[i] != '/') {
                continue;
            }
            int len = i - start;
            if (len == 2 && target[start] == '.' && target[start + 1] == '.') {
                if (sawName) {
                    return "'..' after a name in the symlink target (only leading '..' are allowed)";
                }
                ups++;
            } else if (len > 0 && !(len == 1 && target[start] == '.')) {
                sawName = true;
            }
            start = i + 1;
        }
        if (ups >= depth) {
            return "symlink target leads outside the destination";
        }
        return null;
    }

    /** Permission bits kept: setuid, setgid and sticky are stripped. */
    public static int keptMode(int mode) {
        return mode & 0777;
    }
}
