package dev.pyro;

import java.util.Locale;
import java.util.Optional;

/**
 * How a workspace's {@code /workspace} was initialised (sync push does not change it).
 *
 * @param mode empty, a host directory, or a tar archive
 * @param sourcePath the host path it came from
 * @param destination where in the guest it went ({@code /workspace})
 * @param entryCount files, directories and links written
 * @param bytesWritten bytes of file content written
 */
public record WorkspaceSeed(Mode mode, Optional<String> sourcePath, String destination, long entryCount,
        long bytesWritten) {

    /** Seed kinds. */
    public enum Mode {
        EMPTY, DIRECTORY, TAR_ARCHIVE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static WorkspaceSeed empty() {
        return new WorkspaceSeed(Mode.EMPTY, Optional.empty(), WorkspaceInfo.WORKSPACE_PATH, 0, 0);
    }
}
