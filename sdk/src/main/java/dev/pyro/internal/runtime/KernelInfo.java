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
 * @param pinned the source pinned in kernel/source.json when this kernel was built (null in files
 *     written before pyro recorded it)
 * @param sourceChoice why {@code source} was used: {@code pin}, {@code fallback} (the pin was no
 *     longer served; the newest served version of the same package) or {@code override}
 *     ({@code PYRO_KERNEL_SOURCE_VERSION}); null in older files, meaning the pin or an override
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
        long buildSteps,
        KernelSource pinned,
        String sourceChoice) implements ComponentInfo {
    static final String FILE = "kernel.json";
    static final String BZIMAGE = "bzImage";
    static final String VMLINUX = "vmlinux";
    static final String CONFIG = "config";

    /** Whether this kernel was built from a newer version because its pin was no longer served. */
    boolean isFallbackFor(KernelSource pin, String fragment) {
        return KernelSourceFetcher.Choice.FALLBACK.wire.equals(sourceChoice) && pin.equals(pinned)
                && fragment.equals(fragmentSha256);
    }

    /** "linux-source-6.1 6.1.192-3", plus why when it is not the pin. */
    String describeSource() {
        String used = source.packageName() + " " + source.version();
        if (KernelSourceFetcher.Choice.FALLBACK.wire.equals(sourceChoice) && pinned != null) {
            return used + "; the pin " + pinned.version() + " is no longer served";
        }
        if (KernelSourceFetcher.Choice.OVERRIDE.wire.equals(sourceChoice)) {
            return used + " from " + RuntimeSettings.KERNEL_SOURCE_VERSION;
        }
        return used;
    }
}
