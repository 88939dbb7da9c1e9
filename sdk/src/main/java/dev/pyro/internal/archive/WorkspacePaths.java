package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import dev.pyro.WorkspaceInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/** Paths inside a workspace as users write them, checked and normalized. */
public final class WorkspacePaths {
    public static final String ROOT = WorkspaceInfo.WORKSPACE_PATH;

    private WorkspacePaths() {
    }

    /**
     * {@code /workspace} or {@code /workspace/<rel>} in the normalized form the guest protocol
     * requires: a relative path is taken below /workspace, {@code .}, repeated and trailing
     * slashes are dropped, {@code ..} is resolved as text.
     *
     * @param noun what to call the path in messages, e.g. "destination"
     * @throws PyroException {@code INVALID_ARGUMENT} if it is outside /workspace or not a valid name
     */
    public static String normalize(String path, String noun) {
        if (path == null || path.isBlank()) {
            return ROOT;
        }
        if (path.indexOf('\0') >= 0) {
            throw PyroException.invalidArgument(noun + " contains a NUL byte; use /workspace or a path under it");
        }
        boolean absolute = path.startsWith("/");
        Deque<String> parts = new ArrayDeque<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (parts.isEmpty()) {
                    throw outside(path, noun);
                }
                parts.removeLast();
            } else {
                parts.addLast(part);
            }
        }
        if (absolute) {
            if (parts.isEmpty() || !parts.peekFirst().equals(ROOT.substring(1))) {
                throw outside(path, noun);
            }
            parts.removeFirst();
        }
        String rel = String.join("/", parts);
        if (!rel.isEmpty()) {
            String rule = ImportPolicy.pathRule(rel.getBytes(StandardCharsets.UTF_8));
            if (rule != null) {
                throw PyroException.invalidArgument(noun + " '" + path + "' is not a valid path (" + rule + ")");
            }
            if (rel.getBytes(StandardCharsets.UTF_8).length > ImportPolicy.MAX_PATH) {
                throw PyroException.invalidArgument(noun + " '" + path + "' is longer than " + ImportPolicy.MAX_PATH
                        + " bytes");
            }
        }
        return rel.isEmpty() ? ROOT : ROOT + "/" + rel;
    }

    /** The part of a normalized workspace path below /workspace ("" for /workspace). */
    public static String relative(String normalized) {
        return normalized.equals(ROOT) ? "" : normalized.substring(ROOT.length() + 1);
    }

    private static PyroException outside(String path, String noun) {
        return PyroException.invalidArgument(noun + " " + path + " is outside " + ROOT + "; use " + ROOT
                + " or a path under it");
    }
}
