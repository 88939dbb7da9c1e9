package dev.pyro.internal.runtime;

import java.util.List;

/**
 * {@code base.json}: a bootstrapped Debian tree kept as {@code base.tar}, so that a new agent
 * or new image tweaks do not bootstrap again.
 *
 * @param schema format version of this file
 * @param key the content key (suite, variant, components, packages, dpkg filters, hooks)
 * @param keyInputs the inputs the key was computed from
 * @param mirror the mirror it was bootstrapped from (not part of the key)
 * @param packages every installed package with its exact version
 * @param files {@code base.tar}
 * @param builtAt ISO-8601 time the bootstrap finished
 * @param buildSeconds wall time of the bootstrap
 * @param progressUnits output lines counted for progress (the next bootstrap's estimate)
 * @param aptSources the {@code deb} lines bootstrapped from when the recipe has extra suites
 *     (empty otherwise: then {@code mirror} says it all)
 */
public record BaseTreeInfo(
        int schema,
        String key,
        String keyInputs,
        String mirror,
        List<PackageVersion> packages,
        List<InstalledFile> files,
        String builtAt,
        long buildSeconds,
        long progressUnits,
        List<String> aptSources) implements ComponentInfo {
    public BaseTreeInfo {
        aptSources = aptSources == null ? List.of() : List.copyOf(aptSources);
    }

    static final String FILE = "base.json";
    static final String TARBALL = "base.tar";
}
