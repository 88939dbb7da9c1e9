package dev.pyro.internal.runtime;

import java.util.List;

/**
 * The config blob of a published environment (media type
 * {@code application/vnd.pyro.environment.config.v1+json}, docs/oci-artifact.md): what the
 * environment is and the exact files it installs, so a pull can check every file it unpacks.
 *
 * @param schema format version ({@value #SCHEMA})
 * @param environment the environment name, e.g. {@code debian:12}
 * @param version the recipe version it was built from
 * @param description the recipe's one-line description
 * @param platform {@code linux-x86_64}
 * @param created ISO-8601 time of publishing
 * @param pyroVersion the pyro that published it
 * @param kernel the kernel that travels with it
 * @param agentSha256 SHA-256 of /usr/sbin/pyro-agent inside the image
 * @param imageKey the image's build key
 * @param baseKey the key of the base tree it was made from
 * @param suite Debian suite
 * @param variant bootstrap variant
 * @param aptSources the {@code deb} lines bootstrapped from (empty: only the suite's mirror)
 * @param requestedPackages the recipe's package list
 * @param packages every installed package with its exact version
 * @param files each installed file: name, layer media type, SHA-256 and size after unpacking
 */
public record EnvironmentConfig(
        int schema,
        String environment,
        String version,
        String description,
        String platform,
        String created,
        String pyroVersion,
        Kernel kernel,
        String agentSha256,
        String imageKey,
        String baseKey,
        String suite,
        String variant,
        List<String> aptSources,
        List<String> requestedPackages,
        List<PackageVersion> packages,
        List<FileEntry> files) {

    public static final int SCHEMA = 1;
    public static final String BZIMAGE = KernelInfo.BZIMAGE;
    public static final String VMLINUX = KernelInfo.VMLINUX;
    public static final String IMAGE = RootfsManifest.IMAGE;
    public static final String BUILD_MANIFEST = RootfsManifest.FILE;

    public EnvironmentConfig {
        aptSources = aptSources == null ? List.of() : List.copyOf(aptSources);
        requestedPackages = requestedPackages == null ? List.of() : List.copyOf(requestedPackages);
        packages = packages == null ? List.of() : List.copyOf(packages);
        files = files == null ? List.of() : List.copyOf(files);
    }

    /**
     * The environment's kernel.
     *
     * @param release what {@code uname -r} prints in the guest
     * @param sourcePackage e.g. {@code linux-source-6.1}
     * @param sourceVersion e.g. {@code 6.1.192-2}
     * @param configSha256 SHA-256 of its .config
     */
    public record Kernel(String release, String sourcePackage, String sourceVersion, String configSha256) {
    }

    /**
     * One installed file.
     *
     * @param name {@code bzImage}, {@code vmlinux}, {@code rootfs.ext4} or {@code manifest.json}
     * @param mediaType the media type of the layer that carries it
     * @param sha256 SHA-256 of the file as installed (after decompression)
     * @param size bytes as installed
     */
    public record FileEntry(String name, String mediaType, String sha256, long size) {
    }

    /** The entry for {@code name}, or null. */
    public FileEntry file(String name) {
        return files.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
    }
}
