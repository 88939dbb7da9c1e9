package dev.pyro.internal.runtime;

import java.nio.file.Path;

/**
 * An environment that can boot now: every artifact it needs is installed and passed the check.
 * A built environment boots the locally built kernel; a pulled one boots the kernel that came with it.
 *
 * @param name the environment name
 * @param source {@link RuntimeLock#BUILT} or {@link RuntimeLock#PULLED}
 * @param dir the image's directory
 * @param bzImage the kernel for QEMU
 * @param vmlinux the uncompressed kernel
 * @param image the read-only ext4 root image
 * @param manifestFile the image's build manifest (manifest.json)
 * @param manifest its content
 * @param kernelRelease the kernel's release
 * @param kernelSha256 SHA-256 of bzImage
 * @param agentSha256 SHA-256 of the agent inside the image
 * @param imageSha256 SHA-256 of the image
 * @param sizeBytes bytes on disk of the environment's own files (a pulled one includes its kernel)
 * @param digest the OCI manifest digest (pulled), or {@code sha256:} of the image (built)
 * @param reference where a pulled image came from, else null
 * @param kernel what the kernel was built from
 * @param vmlinuxSha256 SHA-256 of vmlinux
 * @param pulledInfo the pull record of a pulled environment (layers, config digest, time), else null
 */
public record InstalledEnvironment(String name, String source, Path dir, Path bzImage, Path vmlinux, Path image,
        Path manifestFile, RootfsManifest manifest, String kernelRelease, String kernelSha256, String agentSha256,
        String imageSha256, long sizeBytes, String digest, String reference, EnvironmentConfig.Kernel kernel,
        String vmlinuxSha256, PulledInfo pulledInfo) {

    public boolean pulled() {
        return RuntimeLock.PULLED.equals(source);
    }

    /** What to boot. */
    public ResolvedRuntime resolved() {
        return new ResolvedRuntime(name, bzImage, vmlinux, image, kernelRelease, kernelSha256, agentSha256, imageSha256);
    }

    static InstalledEnvironment built(EnvironmentRecipe recipe, KernelArtifact kernel, RootfsArtifact rootfs) {
        RootfsManifest m = rootfs.manifest();
        return new InstalledEnvironment(recipe.name(), RuntimeLock.BUILT, rootfs.dir(), kernel.bzImage(), kernel.vmlinux(),
                rootfs.image(), rootfs.manifestFile(), m, kernel.release(), kernel.info().file(KernelInfo.BZIMAGE).sha256(),
                m.agentSha256(), m.imageSha256(), m.imageSize(), "sha256:" + m.imageSha256(), null,
                new EnvironmentConfig.Kernel(kernel.release(), kernel.info().source().packageName(),
                        kernel.info().source().version(), kernel.info().configSha256()),
                kernel.info().file(KernelInfo.VMLINUX).sha256(), null);
    }

    static InstalledEnvironment pulled(PulledEnvironment p, RootfsManifest manifest) {
        PulledInfo info = p.info();
        return new InstalledEnvironment(info.environment(), RuntimeLock.PULLED, p.dir(), p.bzImage(), p.vmlinux(),
                p.image(), p.manifestFile(), manifest, info.config().kernel().release(), p.kernelSha256(),
                info.config().agentSha256(), p.imageSha256(), p.sizeBytes(), info.digest(), info.reference(),
                info.config().kernel(), info.file(EnvironmentConfig.VMLINUX).sha256(), info);
    }
}
