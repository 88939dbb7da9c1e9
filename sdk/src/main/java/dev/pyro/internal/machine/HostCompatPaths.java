package dev.pyro.internal.machine;

import dev.pyro.PyroException;
import dev.pyro.WorkspaceInfo;
import java.nio.file.Path;

/**
 * Host-compat machines have no guest: a host directory stands in for /workspace, and only
 * paths under /workspace exist.
 */
final class HostCompatPaths {
    private HostCompatPaths() {
    }

    /** The host path for a guest path under /workspace; nothing outside the root is reachable. */
    static Path toHost(Path root, String guestPath) {
        String ws = WorkspaceInfo.WORKSPACE_PATH;
        if (!guestPath.equals(ws) && !guestPath.startsWith(ws + "/")) {
            throw PyroException.invalidArgument("a host-compat workspace has only " + ws + "; '" + guestPath
                    + "' is outside it");
        }
        String rest = guestPath.substring(ws.length());
        Path resolved = root.resolve(rest.isEmpty() ? "." : rest.substring(1)).normalize();
        if (!resolved.startsWith(root.normalize())) {
            throw PyroException.invalidArgument("'" + guestPath + "' leaves " + ws);
        }
        return resolved;
    }
}
