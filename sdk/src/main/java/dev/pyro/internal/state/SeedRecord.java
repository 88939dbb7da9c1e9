package dev.pyro.internal.state;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * How a workspace was seeded (table {@code workspace_seeds}, one row per workspace). Written
 * once, when the seed has been imported; later syncs do not change it.
 *
 * @param machineId the workspace
 * @param mode empty, directory or tar archive
 * @param sourcePath the host directory or archive (absolute); empty for {@link SeedMode#EMPTY}
 * @param destination where in the guest it went, e.g. {@code /workspace}
 * @param entryCount files, directories and links imported
 * @param bytesWritten bytes of file content written
 * @param createdAt when the import finished
 */
public record SeedRecord(String machineId, SeedMode mode, Optional<Path> sourcePath, String destination,
        long entryCount, long bytesWritten, Instant createdAt) {
    public SeedRecord {
        Objects.requireNonNull(machineId, "machineId");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(sourcePath, "sourcePath");
        Objects.requireNonNull(destination, "destination");
        createdAt = createdAt.truncatedTo(ChronoUnit.MILLIS);
        if (entryCount < 0 || bytesWritten < 0) {
            throw new IllegalArgumentException("entryCount and bytesWritten must be >= 0");
        }
        if (mode != SeedMode.EMPTY && sourcePath.isEmpty()) {
            throw new IllegalArgumentException("a " + mode.wireName() + " seed needs its source path");
        }
    }

    /** An empty /workspace. */
    public static SeedRecord empty(String machineId, String destination, Instant createdAt) {
        return new SeedRecord(machineId, SeedMode.EMPTY, Optional.empty(), destination, 0, 0, createdAt);
    }
}
