package dev.pyro;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything about one environment: its state, its manifest (suite, sources, packages with
 * exact versions), its kernel, and every installed artifact with its digest.
 *
 * @param environment the summary (state, source, digest, size, capabilities)
 * @param directory where its image is installed
 * @param suite the Debian suite
 * @param aptSources the {@code deb} lines it was bootstrapped from (empty: the suite's mirror only)
 * @param requestedPackages the recipe's package list
 * @param packages every installed package with its exact version (empty when not installed)
 * @param kernel the kernel it boots, when installed
 * @param agentSha256 sha256 of the guest agent inside the image, when installed
 * @param artifacts the installed files
 * @param builtAt when the image was built
 * @param pulledAt when it was pulled (pulled environments)
 * @param configDigest digest of the OCI config blob (pulled environments)
 */
public record EnvironmentDetails(EnvironmentInfo environment, Optional<Path> directory, String suite,
        List<String> aptSources, List<String> requestedPackages, List<Package> packages, Optional<Kernel> kernel,
        Optional<String> agentSha256, List<Artifact> artifacts, Optional<String> builtAt, Optional<String> pulledAt,
        Optional<String> configDigest) {

    /** An installed Debian package. */
    public record Package(String name, String version, String architecture) {
    }

    /**
     * The kernel an environment boots.
     *
     * @param release what {@code uname -r} prints in the guest
     * @param sha256 sha256 of the bzImage
     * @param sourcePackage the Debian source package it was built from
     * @param sourceVersion its version
     * @param configSha256 sha256 of its .config
     */
    public record Kernel(String release, String sha256, String sourcePackage, String sourceVersion,
            String configSha256) {
    }

    /**
     * An installed file.
     *
     * @param name e.g. {@code rootfs.ext4}
     * @param path where it is
     * @param sha256 its sha256
     * @param sizeBytes its size
     * @param mediaType the OCI layer media type it came in (pulled environments)
     * @param layerDigest the digest of that layer (pulled environments)
     */
    public record Artifact(String name, Path path, String sha256, long sizeBytes, Optional<String> mediaType,
            Optional<String> layerDigest) {
    }
}
