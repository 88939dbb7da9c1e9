package dev.pyro;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A request that the instance's {@link HostAccess} refuses (kind {@link Kind#NOT_PERMITTED}):
 * nothing was read, written or run. {@link #door()} says which door stayed shut, so that a
 * front-end can say who may open it (the operator of an MCP server, for instance).
 */
public final class HostAccessDeniedException extends PyroException {
    private static final long serialVersionUID = 1L;
    private final HostAccess.Door door;
    private final transient List<Path> allowedRoots;

    /**
     * @param allowedRoots the roots the instance allows (named in the message too)
     */
    public HostAccessDeniedException(HostAccess.Door door, String message, List<Path> allowedRoots) {
        super(Kind.NOT_PERMITTED, message);
        this.door = Objects.requireNonNull(door, "door");
        this.allowedRoots = List.copyOf(allowedRoots);
    }

    public HostAccess.Door door() {
        return door;
    }

    /** The instance's allowed roots (empty for a refused host-compat request of an unconfined instance). */
    public List<Path> allowedRoots() {
        return allowedRoots;
    }
}
