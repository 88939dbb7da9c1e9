package dev.pyro.internal.runtime;

/**
 * One installed Debian package, as dpkg-query reports it.
 *
 * @param name package name
 * @param version exact Debian version
 * @param architecture e.g. {@code amd64} or {@code all}
 */
public record PackageVersion(String name, String version, String architecture) {
}
