package dev.pyro.internal.archive;

import dev.pyro.TransferResult;
import dev.pyro.WorkspaceSeed;
import java.time.Duration;
import java.util.Optional;

/**
 * What a seed, sync or export moved.
 *
 * @param source where from (a host path, or a workspace path for exports)
 * @param destination where to (a workspace path, or a host path for exports)
 * @param artifactType directory or tar archive (imports); directory, file or symlink (exports)
 * @param entries entries written
 * @param bytes file bytes written
 * @param elapsed wall time of the whole transfer
 */
public record TransferStats(String source, String destination, TransferResult.ArtifactType artifactType, long entries,
        long bytes, Duration elapsed) {

    /** The public record for a sync or export of workspace {@code workspaceId}. */
    public TransferResult toResult(String workspaceId) {
        return new TransferResult(workspaceId, source, destination, artifactType, entries, bytes);
    }

    /** The workspace_seed metadata of a seed. */
    public WorkspaceSeed toSeed() {
        WorkspaceSeed.Mode mode = artifactType == TransferResult.ArtifactType.TAR_ARCHIVE
                ? WorkspaceSeed.Mode.TAR_ARCHIVE : WorkspaceSeed.Mode.DIRECTORY;
        return new WorkspaceSeed(mode, Optional.of(source), destination, entries, bytes);
    }

    /** File data throughput in MB/s (10^6 bytes), 0 for an instant transfer. */
    public double megabytesPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 ? 0 : bytes / 1e6 / s;
    }
}
