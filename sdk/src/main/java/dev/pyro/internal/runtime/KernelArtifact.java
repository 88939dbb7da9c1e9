package dev.pyro.internal.runtime;

import java.nio.file.Path;

/**
 * An installed guest kernel.
 *
 * @param dir its directory, {@code <runtime>/kernel/<key>}
 * @param info its {@code kernel.json}
 */
public record KernelArtifact(Path dir, KernelInfo info) {
    /** The compressed kernel QEMU boots. */
    public Path bzImage() {
        return dir.resolve(KernelInfo.BZIMAGE);
    }

    /** The uncompressed ELF kernel (what Firecracker loads). */
    public Path vmlinux() {
        return dir.resolve(KernelInfo.VMLINUX);
    }

    /** The kernel's .config. */
    public Path config() {
        return dir.resolve(KernelInfo.CONFIG);
    }

    /** The kernel release, e.g. {@code 6.1.192-pyro}. */
    public String release() {
        return info.release();
    }
}
