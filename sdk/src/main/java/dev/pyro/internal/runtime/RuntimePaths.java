package dev.pyro.internal.runtime;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where pyro keeps things on the host.
 *
 * <p>The cache ({@code PYRO_CACHE_DIR}, default {@code $XDG_CACHE_HOME/pyro} or
 * {@code ~/.cache/pyro}) holds everything that can be rebuilt: the materialised runtime
 * under {@code runtime/linux-x86_64/}, downloaded packages under {@code sources/}, work trees
 * under {@code build/}, logs and lock files. The data directory ({@code PYRO_HOME}, default
 * {@code $XDG_DATA_HOME/pyro} or {@code ~/.local/share/pyro}) holds state that cannot be
 * rebuilt (VMs, workspaces). Materialised outputs never go into the tracked recipes.
 *
 * @param cacheDir root of the rebuildable cache
 * @param homeDir root of pyro's persistent state
 */
public record RuntimePaths(Path cacheDir, Path homeDir) {
    /** The only platform pyro builds a runtime for so far. */
    public static final String PLATFORM = "linux-x86_64";

    public RuntimePaths {
        cacheDir = Objects.requireNonNull(cacheDir, "cacheDir").toAbsolutePath().normalize();
        homeDir = Objects.requireNonNull(homeDir, "homeDir").toAbsolutePath().normalize();
    }

    /** Paths for this process: its environment variables and {@code user.home}. */
    public static RuntimePaths defaults() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Resolves {@code PYRO_CACHE_DIR} and {@code PYRO_HOME}, falling back to the XDG base
     * directories (only absolute values count, as the XDG spec says) and then to the defaults
     * under {@code userHome}.
     */
    public static RuntimePaths fromEnvironment(Map<String, String> env, Path userHome) {
        Path cache = explicit(env, "PYRO_CACHE_DIR");
        if (cache == null) {
            Path xdg = absolute(env.get("XDG_CACHE_HOME"));
            cache = (xdg != null ? xdg : userHome.resolve(".cache")).resolve("pyro");
        }
        Path home = explicit(env, "PYRO_HOME");
        if (home == null) {
            Path xdg = absolute(env.get("XDG_DATA_HOME"));
            home = (xdg != null ? xdg : userHome.resolve(".local/share")).resolve("pyro");
        }
        return new RuntimePaths(cache, home);
    }

    /** {@code <cache>/runtime/linux-x86_64}: installed components and runtime.lock.json. */
    public Path runtimeDir() {
        return cacheDir.resolve("runtime").resolve(PLATFORM);
    }

    /** {@code <runtime>/runtime.lock.json}. */
    public Path lockFile() {
        return runtimeDir().resolve("runtime.lock.json");
    }

    /** {@code <runtime>/kernel}: one directory per kernel key. */
    public Path kernelsDir() {
        return runtimeDir().resolve("kernel");
    }

    /** {@code <runtime>/agent}: one directory per agent key. */
    public Path agentsDir() {
        return runtimeDir().resolve("agent");
    }

    /** {@code <runtime>/environments/<recipe dir>}: the images of one environment, by key. */
    public Path environmentDir(String recipeDir) {
        return runtimeDir().resolve("environments").resolve(recipeDir);
    }

    /** {@code <runtime>/environments/<recipe dir>/base}: bootstrapped base trees, by key. */
    public Path baseTreesDir(String recipeDir) {
        return environmentDir(recipeDir).resolve("base");
    }

    /** {@code <runtime>/environments/<recipe dir>/pulled}: images pulled from registries, by manifest digest. */
    public Path pulledDir(String recipeDir) {
        return environmentDir(recipeDir).resolve("pulled");
    }

    /** {@code <cache>/oci/blobs/sha256}: blobs being downloaded ({@code <hex>.partial}) or not yet unpacked. */
    public Path ociBlobsDir() {
        return cacheDir.resolve("oci").resolve("blobs").resolve("sha256");
    }

    /** {@code <cache>/sources}: downloaded source packages. */
    public Path sourcesDir() {
        return cacheDir.resolve("sources");
    }

    /** {@code <cache>/build}: temporary work trees, deleted after each build. */
    public Path buildDir() {
        return cacheDir.resolve("build");
    }

    /** {@code <cache>/logs}: logs of failed builds and host setup. */
    public Path logsDir() {
        return cacheDir.resolve("logs");
    }

    /** {@code <cache>/host/apt-lists-updated}: when pyro last refreshed the host's package lists. */
    public Path aptListsStamp() {
        return cacheDir.resolve("host").resolve("apt-lists-updated");
    }

    /** {@code <cache>/locks}: lock files that serialise builds across processes. */
    public Path locksDir() {
        return cacheDir.resolve("locks");
    }

    private static Path explicit(Map<String, String> env, String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : Path.of(value);
    }

    private static Path absolute(String value) {
        return value != null && value.startsWith("/") ? Path.of(value) : null;
    }
}
