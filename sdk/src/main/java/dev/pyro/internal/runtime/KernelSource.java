package dev.pyro.internal.runtime;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * The kernel source package the guest kernel is built from ({@code kernel/source.json}):
 * a Debian {@code linux-source-*} .deb, pinned by version and SHA-256.
 *
 * @param packageName Debian package name, e.g. {@code linux-source-6.1}
 * @param version Debian version, e.g. {@code 6.1.192-2}
 * @param filename the .deb's file name as apt downloads it
 * @param sha256 SHA-256 of the .deb
 * @param tarball path of the source tarball inside the .deb's data, e.g.
 *     {@code usr/src/linux-source-6.1.tar.xz}
 */
public record KernelSource(@JsonProperty("package") String packageName, String version, String filename, String sha256, String tarball) {
    public KernelSource {
        Objects.requireNonNull(packageName, "package");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(filename, "filename");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(tarball, "tarball");
        if (!packageName.matches("linux-source-[0-9.]+")) {
            throw new IllegalArgumentException("kernel/source.json: package must be linux-source-X.Y, not " + packageName);
        }
        if (!Hashes.isSha256(sha256)) {
            throw new IllegalArgumentException("kernel/source.json: sha256 must be 64 lower-case hex digits");
        }
        if (tarball.startsWith("/") || tarball.contains("..")) {
            throw new IllegalArgumentException("kernel/source.json: tarball must be a relative path inside the .deb");
        }
    }

    /** The same package at another version, as served by the mirror (an override). */
    KernelSource withVersion(String otherVersion, String otherSha256) {
        return new KernelSource(packageName, otherVersion, debFilename(packageName, otherVersion, "all"),
                otherSha256, tarball);
    }

    /** The file name apt gives a downloaded .deb: the epoch's colon is written %3a. */
    static String debFilename(String pkg, String version, String arch) {
        return pkg + "_" + version.replace(":", "%3a") + "_" + arch + ".deb";
    }
}
