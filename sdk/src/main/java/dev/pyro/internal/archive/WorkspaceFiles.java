package dev.pyro.internal.archive;

import dev.pyro.internal.guest.ExportSink;
import dev.pyro.internal.guest.ExportSummary;
import dev.pyro.internal.guest.GuestStat;
import java.time.Duration;
import java.util.Optional;

/**
 * The files of one workspace, wherever they live: in a VM ({@link GuestFiles}, over the guest
 * protocol) or in a host directory ({@link HostWorkspace}, host-compat mode). Paths are
 * workspace paths ({@code /workspace} or a normalized path under it, see
 * {@link WorkspacePaths}). {@link Transfers} builds seeds, syncs and exports on this.
 */
public interface WorkspaceFiles {
    /**
     * Starts an atomic import into {@code dest}: nothing changes until
     * {@link ImportSession#commit()}, and closing the session without committing leaves the
     * workspace as it was.
     */
    ImportSession beginImport(String dest, ImportCaps caps);

    /**
     * Streams {@code path} (a file, symlink or directory tree) to {@code sink}, root first.
     *
     * @param timeout how long the whole export may take
     * @throws dev.pyro.internal.guest.TransferTimeoutException it took longer
     */
    ExportSummary export(String path, ExportSink sink, Duration timeout);

    /** Describes {@code path} (symlinks not followed), or empty if it does not exist. */
    Optional<GuestStat> stat(String path);

    /** What to call this workspace's files in messages, e.g. "the workspace VM". */
    String describe();
}
