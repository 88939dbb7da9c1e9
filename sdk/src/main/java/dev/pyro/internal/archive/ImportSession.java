package dev.pyro.internal.archive;

import dev.pyro.internal.guest.ImportSummary;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One import in progress on a {@link WorkspaceFiles}: checked entries go in through
 * {@link EntrySink}; {@link #commit()} applies them all at once; {@link #close()} before
 * that discards them (the workspace stays as it was).
 */
public interface ImportSession extends EntrySink, AutoCloseable {
    /**
     * Applies the import atomically: completely, or not at all (then it throws).
     *
     * @return entries and bytes written
     */
    ImportSummary commit();

    /**
     * The host directory the entries are written below, when they are written on the host
     * (host-compat staging): every entry's host path must fit Linux's limit.
     */
    default Optional<Path> hostDirectory() {
        return Optional.empty();
    }

    /** Discards the import unless it was committed. Never throws. */
    @Override
    void close();
}
