package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import dev.pyro.internal.host.Exec;
import dev.pyro.internal.host.HostTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Gets the kernel source .deb into {@code <cache>/sources}: the version pinned in
 * kernel/source.json, or the one named by {@code PYRO_KERNEL_SOURCE_VERSION}, downloaded with
 * {@code apt-get download} (no root needed) and checked against its SHA-256 before use.
 */
final class KernelSourceFetcher {
    private final HostTools tools;
    private final Path sourcesDir;
    private final Path logsDir;
    private final Optional<String> versionOverride;
    private final boolean root;

    KernelSourceFetcher(HostTools tools, Path sourcesDir, Path logsDir, Optional<String> versionOverride, boolean root) {
        this.tools = tools;
        this.sourcesDir = sourcesDir;
        this.logsDir = logsDir;
        this.versionOverride = versionOverride;
        this.root = root;
    }

    /** How the source to build was chosen; the wire names go into kernel.json and the lock. */
    enum Choice {
        /** The version pinned in kernel/source.json. */
        PIN("pin"),
        /** The pin is no longer served: the newest served version of the same package. */
        FALLBACK("fallback"),
        /** {@code PYRO_KERNEL_SOURCE_VERSION} named the version. */
        OVERRIDE("override");

        final String wire;

        Choice(String wire) {
            this.wire = wire;
        }
    }

    /** The source to build from, the pin it stands for, and why it was chosen. */
    record Chosen(KernelSource source, KernelSource pinned, Choice choice) {
    }

    /**
     * The override with the SHA-256 apt's signed index gives for it (with {@code mayRefresh},
     * refreshing the package lists once when it is missing), or the pin without asking apt: whether the pin is still served is
     * decided by {@link #choose} only when a kernel is really built.
     */
    Chosen resolve(KernelSource pinned, boolean mayRefresh, Progress progress) {
        if (versionOverride.isEmpty() || versionOverride.get().equals(pinned.version())) {
            return new Chosen(pinned, pinned, versionOverride.isEmpty() ? Choice.PIN : Choice.OVERRIDE);
        }
        String version = versionOverride.get();
        String sha = sha256Of(pinned.packageName(), version);
        if (sha == null && mayRefresh && tools.refreshPackageLists(pinned.packageName() + " " + version
                + " is not in the package lists", progress.listener())) {
            sha = sha256Of(pinned.packageName(), version);
        }
        if (sha == null) {
            List<String> served = servedVersions(pinned.packageName());
            throw new PyroException(PyroException.Kind.BUILD_FAILED, RuntimeSettings.KERNEL_SOURCE_VERSION + "="
                    + version + " but the apt mirrors do not serve " + pinned.packageName() + " " + version
                    + " (served: " + describe(served) + "); set it to one of the served versions");
        }
        return new Chosen(pinned.withVersion(version, sha), pinned, Choice.OVERRIDE);
    }

    /**
     * What to build when nothing is built yet: the pin while the mirrors serve it, else the
     * newest served version of the same package that is newer than the pin (Debian's security
     * archive drops superseded builds within weeks). Stale package lists are refreshed once first.
     */
    Chosen choose(KernelSource pinned, Progress progress) {
        List<String> served = servedVersions(pinned.packageName());
        if (!served.contains(pinned.version()) && tools.refreshPackageLists("the pinned " + pinned.packageName()
                + " " + pinned.version() + " is not in the package lists", progress.listener())) {
            served = servedVersions(pinned.packageName());
        }
        if (served.contains(pinned.version())) {
            return new Chosen(pinned, pinned, Choice.PIN);
        }
        Optional<String> newer = served.stream()
                .filter(v -> AptMetadata.compareVersions(v, pinned.version()) > 0)
                .max(AptMetadata::compareVersions);
        String sha = newer.map(v -> sha256Of(pinned.packageName(), v)).orElse(null);
        if (sha == null) {
            String fix = served.isEmpty()
                    ? "add the Debian security mirror (bookworm-security) to /etc/apt/sources.list.d and run"
                            + " apt-get update"
                    : "run apt-get update (the package lists may be old), or set "
                            + RuntimeSettings.KERNEL_SOURCE_VERSION + "=" + served.get(0)
                            + " to build with a served version";
            throw new PyroException(PyroException.Kind.BUILD_FAILED, pinned.packageName() + " " + pinned.version()
                    + " (pinned in kernel/source.json) is not served by the apt mirrors, nor any newer version"
                    + " (served: " + describe(served) + "); " + fix);
        }
        KernelSource fallback = pinned.withVersion(newer.get(), sha);
        progress.step(pinned.packageName() + " " + pinned.version() + " (pinned in kernel/source.json) is no"
                + " longer served by the apt mirrors; building from the newest served version, " + newer.get());
        return new Chosen(fallback, pinned, Choice.FALLBACK);
    }

    /** The SHA-256 apt's signed index gives for {@code pkg=version}, or null when apt does not serve it. */
    private String sha256Of(String pkg, String version) {
        String sha = show(pkg, version).get("SHA256");
        return sha != null && Hashes.isSha256(sha) ? sha : null;
    }

    /** The verified .deb of {@code source}, downloading it first when it is not cached. */
    Path fetch(KernelSource source, Progress progress) {
        Path target = sourcesDir.resolve(source.filename());
        if (Files.isRegularFile(target)) {
            progress.step("checking the cached " + source.filename());
            if (Hashes.sha256(target).equals(source.sha256())) {
                return target;
            }
            // A cached file that no longer matches is worthless; fetch it again.
            deleteQuietly(target);
        }
        requireServed(source);
        Path staging = Trees.newStagingDir(sourcesDir, ".download-");
        try {
            Path downloaded;
            try {
                downloaded = download(source, staging, progress);
            } catch (PyroException e) {
                // Lists a day old can still name a .deb the mirror has replaced: refresh once, retry.
                if (!tools.refreshPackageLists("apt-get download " + source.packageName() + "=" + source.version()
                        + " failed", progress.listener())) {
                    throw e;
                }
                requireServed(source);
                downloaded = download(source, staging, progress);
            }
            progress.step("verifying the sha256 of " + downloaded.getFileName());
            String actual = Hashes.sha256(downloaded);
            if (!actual.equals(source.sha256())) {
                throw new PyroException(PyroException.Kind.BUILD_FAILED, "sha256 mismatch for " + source.filename()
                        + " (expected " + source.sha256() + ", got " + actual + "); the download was deleted and"
                        + " nothing was built: check the apt mirror, or pin a served version with "
                        + RuntimeSettings.KERNEL_SOURCE_VERSION);
            }
            Files.move(downloaded, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store " + target, e);
        } finally {
            Trees.deleteRecursively(staging);
        }
    }

    private Path download(KernelSource source, Path staging, Progress progress) {
        long expected = parseSize(show(source.packageName(), source.version()).get("Size"));
        List<String> argv = new ArrayList<>(List.of(tools.tool("apt-get").toString(), "download"));
        if (root) {
            // apt drops to the _apt user for downloads, which cannot write into root's cache.
            argv.addAll(List.of("-o", "APT::Sandbox::User=root"));
        }
        argv.add(source.packageName() + "=" + source.version());
        String what = "downloading " + source.filename();
        long total = expected > 0 ? expected : -1;
        progress.update(what, 0, total);
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pyro-download-progress");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleAtFixedRate(() -> progress.update(what,
                        total > 0 ? Math.min(directorySize(staging), total - 1) : directorySize(staging), total),
                500, 500, TimeUnit.MILLISECONDS);
        StringBuilder output = new StringBuilder();
        int code;
        try {
            code = Exec.stream(Exec.builder(argv, staging, Map.of()), line -> output.append(line).append('\n'));
        } finally {
            poller.shutdownNow();
        }
        Path file = staging.resolve(source.filename());
        if (code != 0 || !Files.isRegularFile(file)) {
            Path log = writeLog("kernel-source-download", "$ " + String.join(" ", argv) + "\n" + output);
            requireServed(source);
            throw new PyroException(PyroException.Kind.BUILD_FAILED, "apt-get download "
                    + source.packageName() + "=" + source.version() + " failed (log: " + log
                    + "); check the network and the apt mirrors");
        }
        progress.update(what, Math.max(expected, 0), total);
        return file;
    }

    /** Fails with the served versions and the override when apt does not offer {@code source}. */
    private void requireServed(KernelSource source) {
        List<String> served = servedVersions(source.packageName());
        if (served.contains(source.version())) {
            return;
        }
        String fix = served.isEmpty()
                ? "add the Debian security mirror (bookworm-security) to /etc/apt/sources.list.d and run apt-get update"
                : "set " + RuntimeSettings.KERNEL_SOURCE_VERSION + "=" + served.get(0)
                        + " to build with a served version (or run apt-get update if the package lists are old)";
        String which = versionOverride.isPresent() ? "(from " + RuntimeSettings.KERNEL_SOURCE_VERSION + ")"
                : "(chosen from kernel/source.json)";
        throw new PyroException(PyroException.Kind.BUILD_FAILED, source.packageName() + " " + source.version() + " "
                + which + " is not served by the apt mirrors (served: " + describe(served) + "); " + fix);
    }

    List<String> servedVersions(String pkg) {
        Exec.Result result = Exec.capture(List.of(tools.tool("apt-cache").toString(), "madison", pkg));
        return result.ok() ? AptMetadata.madisonVersions(result.stdout()) : List.of();
    }

    private Map<String, String> show(String pkg, String version) {
        Exec.Result result = Exec.capture(List.of(tools.tool("apt-cache").toString(), "show", "--no-all-versions",
                pkg + "=" + version), null, Map.of(), Duration.ofMinutes(1));
        return result.ok() ? AptMetadata.firstStanza(result.stdout()) : Map.of();
    }

    private Path writeLog(String name, String content) {
        Path log = logsDir.resolve(name + "-" + System.currentTimeMillis() + ".log");
        try {
            Files.createDirectories(logsDir);
            Files.writeString(log, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return log;
    }

    private static String describe(List<String> served) {
        return served.isEmpty() ? "none" : String.join(", ", served);
    }

    private static long parseSize(String size) {
        try {
            return size == null ? -1 : Long.parseLong(size.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long directorySize(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }
}
