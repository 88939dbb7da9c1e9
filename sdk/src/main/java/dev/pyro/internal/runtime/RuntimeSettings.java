package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Knobs of the runtime pipeline, normally read from environment variables.
 *
 * @param kernelSourceVersion {@code PYRO_KERNEL_SOURCE_VERSION}: build the kernel from this
 *     served linux-source version instead of the pinned one
 * @param kernelBuildJobs {@code PYRO_KERNEL_BUILD_JOBS}: make's -j for the kernel build
 * @param debianMirror {@code PYRO_DEBIAN_MIRROR}: the Debian mirror root filesystems are
 *     bootstrapped from
 * @param autoInstall false when {@code PYRO_NO_AUTO_INSTALL=1}: never install host packages
 */
public record RuntimeSettings(
        Optional<String> kernelSourceVersion,
        OptionalInt kernelBuildJobs,
        Optional<String> debianMirror,
        boolean autoInstall) {

    public static final String KERNEL_SOURCE_VERSION = "PYRO_KERNEL_SOURCE_VERSION";
    public static final String KERNEL_BUILD_JOBS = "PYRO_KERNEL_BUILD_JOBS";
    public static final String DEBIAN_MIRROR = "PYRO_DEBIAN_MIRROR";
    public static final String NO_AUTO_INSTALL = dev.pyro.internal.host.HostTools.NO_AUTO_INSTALL;

    public RuntimeSettings {
        Objects.requireNonNull(kernelSourceVersion, "kernelSourceVersion");
        Objects.requireNonNull(kernelBuildJobs, "kernelBuildJobs");
        Objects.requireNonNull(debianMirror, "debianMirror");
    }

    /** No overrides, automatic host package installation on. */
    public static RuntimeSettings defaults() {
        return new RuntimeSettings(Optional.empty(), OptionalInt.empty(), Optional.empty(), true);
    }

    /** Reads the variables above; malformed values are INVALID_ARGUMENT errors naming the variable. */
    public static RuntimeSettings fromEnvironment(Map<String, String> env) {
        Optional<String> version = nonBlank(env.get(KERNEL_SOURCE_VERSION));
        version.ifPresent(v -> {
            // Debian version syntax: [epoch:]upstream[-revision].
            if (!v.matches("([0-9]+:)?[0-9][A-Za-z0-9.+~-]*")) {
                throw PyroException.invalidArgument(KERNEL_SOURCE_VERSION + "='" + v
                        + "' is not a Debian package version; use a version from: apt-cache madison linux-source-6.1");
            }
        });
        OptionalInt jobs = OptionalInt.empty();
        Optional<String> jobsText = nonBlank(env.get(KERNEL_BUILD_JOBS));
        if (jobsText.isPresent()) {
            try {
                int n = Integer.parseInt(jobsText.get());
                if (n < 1) {
                    throw new NumberFormatException();
                }
                jobs = OptionalInt.of(n);
            } catch (NumberFormatException e) {
                throw PyroException.invalidArgument(KERNEL_BUILD_JOBS + "='" + jobsText.get()
                        + "' is not a positive number; set it to e.g. 1 or unset it");
            }
        }
        Optional<String> mirror = nonBlank(env.get(DEBIAN_MIRROR));
        mirror.ifPresent(m -> {
            if (!m.matches("(https?|file)://\\S+")) {
                throw PyroException.invalidArgument(DEBIAN_MIRROR + "='" + m
                        + "' is not a mirror URL; use e.g. http://deb.debian.org/debian");
            }
        });
        boolean auto = !"1".equals(env.getOrDefault(NO_AUTO_INSTALL, "").trim());
        return new RuntimeSettings(version, jobs, mirror, auto);
    }

    private static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }
}
