package dev.pyro.internal.access;

import dev.pyro.HostAccess;
import dev.pyro.HostAccessDeniedException;

/**
 * The host-execution door: nothing runs on the host (host-compat, without isolation) unless
 * the instance's {@link HostAccess} allows it. Asked before any work starts, for a request that
 * wants host-compat (so that a refused request never falls back to the host, however the VM
 * fares), and again where a command would start on the host (a host-compat machine created
 * earlier, by a user who was allowed to).
 */
public final class HostExecutionDoor {
    private final HostAccess access;

    public HostExecutionDoor(HostAccess access) {
        this.access = access;
    }

    /** For a request that asks for host-compat ({@code allow_host_compat} or engine host_compat). */
    public void requireForRequest() {
        if (!access.hostCompatAllowed()) {
            throw denied("allow_host_compat is refused: running commands on the host without isolation"
                    + " (host-compat) is not enabled for this instance; nothing ran");
        }
    }

    /**
     * For a command about to run in a host-compat machine.
     *
     * @param machine e.g. "workspace 1a2b3c4d"
     */
    public void requireForMachine(String machine) {
        if (!access.hostCompatAllowed()) {
            throw denied(machine + " runs on the host without isolation (host-compat), which is not enabled for"
                    + " this instance; nothing ran");
        }
    }

    private HostAccessDeniedException denied(String message) {
        return new HostAccessDeniedException(HostAccess.Door.HOST_EXECUTION, message, access.roots());
    }
}
