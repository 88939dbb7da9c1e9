package dev.pyro;

import java.util.Locale;

/**
 * The outcome of moving files between the host and a workspace (sync push or export).
 *
 * @param workspaceId the workspace
 * @param source where the files came from (a host path, or a path in the guest)
 * @param destination where they went
 * @param artifactType what the root was: a directory, a regular file, or a symlink
 * @param entryCount files, directories and links moved
 * @param bytesWritten bytes of file content moved
 */
public record TransferResult(String workspaceId, String source, String destination, ArtifactType artifactType,
        long entryCount, long bytesWritten) {

    /** What was transferred. */
    public enum ArtifactType {
        DIRECTORY, FILE, SYMLINK, TAR_ARCHIVE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
