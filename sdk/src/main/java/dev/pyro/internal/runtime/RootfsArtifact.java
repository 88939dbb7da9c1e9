package dev.pyro.internal.runtime;

import java.nio.file.Path;

/**
 * An installed environment image.
 *
 * @param dir its directory, {@code <runtime>/environments/<recipe dir>/<key>}
 * @param manifest its {@code manifest.json}
 */
public record RootfsArtifact(Path dir, RootfsManifest manifest) {
    /** The read-only ext4 image (the lower layer of the guest's overlay root). */
    public Path image() {
        return dir.resolve(RootfsManifest.IMAGE);
    }

    /** The manifest file. */
    public Path manifestFile() {
        return dir.resolve(RootfsManifest.FILE);
    }
}
