package dev.pyro.internal.archive;

import dev.pyro.internal.guest.ImportSummary;

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

    /** Discards the import unless it was committed. Never throws. */
    @Override
    void close();
}
