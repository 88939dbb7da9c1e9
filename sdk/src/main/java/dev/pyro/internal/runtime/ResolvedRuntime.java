package dev.pyro.internal.runtime;

import java.nio.file.Path;

/**
 * The installed artifacts to boot an environment with, as checked by
 * {@link RuntimeBuilder#resolve}. Pass it back to {@link RuntimeBuilder#recordCapability}
 * after a real boot or exec, so the proof names exactly what ran.
 *
 * @param environment the environment name
 * @param bzImage the kernel for QEMU
 * @param vmlinux the uncompressed kernel (Firecracker)
 * @param rootImage the read-only ext4 image
 * @param kernelRelease the guest's {@code uname -r}
 * @param kernelSha256 SHA-256 of bzImage as installed
 * @param agentSha256 SHA-256 of the agent inside the image
 * @param imageSha256 SHA-256 of the image as installed
 */
public record ResolvedRuntime(String environment, Path bzImage, Path vmlinux, Path rootImage, String kernelRelease,
        String kernelSha256, String agentSha256, String imageSha256) {
}
