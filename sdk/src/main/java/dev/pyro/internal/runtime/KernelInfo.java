package dev.pyro.internal.runtime;

import java.util.List;

/**
 * {@code kernel.json}: what an installed kernel was built from and what it is.
 *
 * @param schema format version of this file
 * @param key the content key (directory name)
 * @param keyInputs the inputs the key was computed from
 * @param release the kernel release, what {@code uname -r} prints in the guest
 * @param source the source package actually used (the pin, or the override)
 * @param fragmentSha256 SHA-256 of the config fragment applied
 * @param configSha256 SHA-256 of the resulting .config
 * @param files {@code bzImage} (QEMU), {@code vmlinux} (Firecracker) and {@code config}
 * @param builtAt ISO-8601 time the build finished
 * @param buildSeconds wall time of the whole build
 * @param jobs make's -j
 * @param compiler first line of {@code gcc --version}
 * @param buildSteps lines of make output counted for progress (the next build's estimate)
 */
public record KernelInfo(
        int schema,
        String key,
        String keyInputs,
        String release,
        KernelSource source,
        String fragmentSha256,
        String configSha256,
        List<InstalledFile> files,
        String builtAt,
        long buildSeconds,
        int jobs,
        String compiler,
        long buildSteps) implements ComponentInfo {
    static final String FILE = "kernel.json";
    static final String BZIMAGE = "bzImage";
    static final String VMLINUX = "vmlinux";
    static final String CONFIG = "config";
}
