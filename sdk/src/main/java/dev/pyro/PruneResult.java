package dev.pyro;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Pyro#pruneEnvironments} removed and kept.
 *
 * @param removed the removed entries
 * @param kept the installed entries left in place ({@code name (source) path})
 * @param freedBytes bytes freed
 */
public record PruneResult(List<Removed> removed, List<String> kept, long freedBytes) {

    /**
     * One removed entry.
     *
     * @param environment the environment it belonged to (none for leftover downloads)
     * @param path what was deleted
     * @param reason why: starts with {@code stale}, {@code broken} or {@code leftover}
     * @param bytes its size
     */
    public record Removed(Optional<String> environment, Path path, String reason, long bytes) {
    }
}
