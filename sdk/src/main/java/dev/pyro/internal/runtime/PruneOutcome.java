package dev.pyro.internal.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * What a prune removed and kept.
 *
 * @param removed every removed entry
 * @param kept the installed entries left in place, as {@code name (source) path}
 */
public record PruneOutcome(List<Removed> removed, List<String> kept) {
    public PruneOutcome {
        removed = List.copyOf(removed);
        kept = List.copyOf(kept);
    }

    /** Bytes freed. */
    public long freedBytes() {
        return removed.stream().mapToLong(Removed::bytes).sum();
    }

    /**
     * One removed entry.
     *
     * @param environment the environment it belonged to, or null (downloads)
     * @param path what was deleted
     * @param reason why: {@code stale ...}, {@code broken ...}, {@code leftover ...}
     * @param bytes its size
     */
    public record Removed(String environment, Path path, String reason, long bytes) {
    }
}
