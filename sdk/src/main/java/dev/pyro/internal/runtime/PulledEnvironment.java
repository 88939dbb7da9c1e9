package dev.pyro.internal.runtime;

import java.nio.file.Path;

/**
 * An environment installed from a registry: its own kernel and its image, in
 * {@code <runtime>/environments/<recipe dir>/pulled/<digest prefix>}.
 *
 * @param dir the directory
 * @param info its {@code pulled.json}
 */
public record PulledEnvironment(Path dir, PulledInfo info) {
    public Path bzImage() {
        return dir.resolve(EnvironmentConfig.BZIMAGE);
    }

    public Path vmlinux() {
        return dir.resolve(EnvironmentConfig.VMLINUX);
    }

    public Path image() {
        return dir.resolve(EnvironmentConfig.IMAGE);
    }

    public Path manifestFile() {
        return dir.resolve(EnvironmentConfig.BUILD_MANIFEST);
    }

    public String kernelSha256() {
        return info.file(EnvironmentConfig.BZIMAGE).sha256();
    }

    public String imageSha256() {
        return info.file(EnvironmentConfig.IMAGE).sha256();
    }

    /** Bytes of the installed files. */
    public long sizeBytes() {
        return info.files().stream().mapToLong(InstalledFile::size).sum();
    }
}
