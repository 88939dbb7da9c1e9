package dev.pyro.internal.runtime;

import java.util.List;

/**
 * {@code manifest.json}: what an installed environment image contains.
 *
 * @param schema format version of this file
 * @param environment the environment name, e.g. {@code debian:12-base}
 * @param environmentVersion the recipe's version
 * @param key the image's content key (base key, image tweaks, agent binary)
 * @param keyInputs the inputs the key was computed from
 * @param baseKey the key of the base tree it was made from
 * @param suite Debian suite
 * @param variant bootstrap variant
 * @param mirror mirror the base tree came from
 * @param requestedPackages the recipe's package list
 * @param packagesSha256 SHA-256 of the requested package list (one name per line, sorted)
 * @param packages every installed package with its exact version
 * @param agentSha256 SHA-256 of the /usr/sbin/pyro-agent inside
 * @param treeBytes bytes of file data in the tree
 * @param treeFiles number of inodes in the tree
 * @param uuid the file system UUID (derived from the key, so rebuilds are comparable)
 * @param files {@code rootfs.ext4}
 * @param builtAt ISO-8601 time the image was installed
 * @param buildSeconds wall time of the image build (without the base tree)
 * @param aptSources the {@code deb} lines of the bootstrap when the recipe has extra suites
 *     (security and point updates); empty when {@code mirror} was the only source
 */
public record RootfsManifest(
        int schema,
        String environment,
        String environmentVersion,
        String key,
        String keyInputs,
        String baseKey,
        String suite,
        String variant,
        String mirror,
        List<String> requestedPackages,
        String packagesSha256,
        List<PackageVersion> packages,
        String agentSha256,
        long treeBytes,
        long treeFiles,
        String uuid,
        List<InstalledFile> files,
        String builtAt,
        long buildSeconds,
        List<String> aptSources) implements ComponentInfo {
    static final String FILE = "manifest.json";
    static final String IMAGE = "rootfs.ext4";

    public RootfsManifest {
        aptSources = aptSources == null ? List.of() : List.copyOf(aptSources);
    }

    /** SHA-256 of the image. */
    public String imageSha256() {
        return file(IMAGE).sha256();
    }

    /** Size of the image in bytes. */
    public long imageSize() {
        return file(IMAGE).size();
    }
}
