package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import dev.pyro.ProgressListener;
import dev.pyro.internal.host.Exec;
import dev.pyro.internal.host.HostInfo;
import dev.pyro.internal.host.HostRequirements;
import dev.pyro.internal.host.HostTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds the guest kernel: fetch the pinned linux-source .deb, unpack it, {@code make
 * allnoconfig}, apply the fragment with scripts/config, {@code make olddefconfig}, verify that
 * every fragment option stuck, {@code make bzImage vmlinux}, install bzImage, vmlinux, .config
 * and kernel.json into {@code <runtime>/kernel/<key>} by one rename, and delete the work tree.
 */
final class KernelBuilder {
    /** Bump when the build procedure changes in a way that changes the output. */
    static final String BUILDER_VERSION = "kernel/1";
    static final String TASK = "kernel";

    /** Entries in linux-source-6.1's tarball (83,731 for 6.1.192), for unpacking progress. */
    private static final long ESTIMATED_SOURCE_ENTRIES = 84_000;
    /** make output lines of a build of microvm.config (1,523 measured), until a build recorded its own. */
    private static final long DEFAULT_BUILD_STEPS = 1_550;
    /** Kbuild's quiet output: two spaces, a tag such as CC, LD, AR, then the target. */
    private static final Pattern MAKE_STEP = Pattern.compile("^  [A-Z][A-Z0-9_]{0,9} +\\S.*");

    private final RuntimePaths paths;
    private final RuntimeSettings settings;
    private final Recipes recipes;
    private final HostTools tools;

    KernelBuilder(RuntimePaths paths, RuntimeSettings settings, Recipes recipes, HostTools tools) {
        this.paths = paths;
        this.settings = settings;
        this.recipes = recipes;
        this.tools = tools;
    }

    /** What the recipes and settings ask for: the source chosen, the config fragment, the key. */
    record Desired(KernelSourceFetcher.Chosen chosen, KernelFragment fragment, CacheKey key) {
        KernelSource source() {
            return chosen.source();
        }
    }

    /**
     * The wanted source and the key it builds under. Consults apt only for an override: a kernel
     * built from the pin, or from a fallback for it (the pin was no longer served), is found
     * among the installed ones; when neither is installed the pin stands until {@link #build}
     * asks apt whether it is still served.
     */
    Desired desired() {
        return desired(false, new Progress(ProgressListener.NONE, TASK));
    }

    private Desired desired(boolean building, Progress progress) {
        KernelFragment fragment = recipes.kernelFragment();
        KernelSource pin = recipes.kernelSource();
        KernelSourceFetcher.Chosen chosen = fetcher().resolve(pin, building, progress);
        if (chosen.choice() == KernelSourceFetcher.Choice.PIN && intact(key(pin, fragment).id()).isEmpty()) {
            Optional<KernelArtifact> fallback = installedFallback(pin, fragment);
            if (fallback.isPresent()) {
                KernelSource used = fallback.get().info().source();
                return new Desired(new KernelSourceFetcher.Chosen(used, pin, KernelSourceFetcher.Choice.FALLBACK),
                        fragment, key(used, fragment));
            }
        }
        return new Desired(chosen, fragment, key(chosen.source(), fragment));
    }

    /** The newest intact kernel built from a fallback for this pin and fragment. */
    private Optional<KernelArtifact> installedFallback(KernelSource pin, KernelFragment fragment) {
        if (!Files.isDirectory(paths.kernelsDir())) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(paths.kernelsDir())) {
            return dirs.map(dir -> dir.getFileName().toString())
                    .filter(name -> !name.startsWith("."))
                    .map(this::intact)
                    .flatMap(Optional::stream)
                    .filter(k -> k.info().isFallbackFor(pin, fragment.sha256()))
                    .max((a, b) -> AptMetadata.compareVersions(a.info().source().version(),
                            b.info().source().version()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The key of a kernel built from this source and fragment. */
    static CacheKey key(KernelSource source, KernelFragment fragment) {
        return CacheKey.builder(BUILDER_VERSION)
                .add("package", source.packageName())
                .add("version", source.version())
                .add("sha256", source.sha256())
                .add("fragment_sha256", fragment.sha256());
    }

    /** The kernel installed under {@code keyId}, if its metadata is readable. */
    Optional<KernelArtifact> installed(String keyId) {
        Path dir = paths.kernelsDir().resolve(keyId);
        return Json.readIfValid(dir.resolve(KernelInfo.FILE), KernelInfo.class)
                .filter(info -> keyId.equals(info.key()))
                .map(info -> new KernelArtifact(dir, info));
    }

    /**
     * Builds the kernel unless an intact one with the same key is installed (or {@code force}).
     * A concurrent build of the same kernel by another process is waited for and reused.
     */
    @SuppressWarnings("try") // the lock is held for the block's duration, never used in it
    KernelArtifact build(boolean force, ProgressListener listener) {
        Progress progress = new Progress(listener, TASK);
        Desired desired = desired(true, progress);
        String keyId = desired.key().id();
        Optional<KernelArtifact> existing = intact(keyId);
        if (existing.isPresent() && !force) {
            progress.step("kernel " + existing.get().release() + " is up to date (" + existing.get().dir() + ")");
            return existing.get();
        }
        // Only a real build needs the compilers; a cached kernel must not install them.
        tools.ensure(HostRequirements.union(HostRequirements.KERNEL_FETCH, HostRequirements.KERNEL_BUILD), listener);
        try (FileLocks.Held lock = FileLocks.acquire(paths.locksDir().resolve("kernel.lock"), progress, "the kernel")) {
            existing = intact(keyId);
            if (existing.isPresent() && !force) {
                progress.step("kernel " + existing.get().release() + " was just built by another pyro build; reusing it");
                return existing.get();
            }
            // Leftovers of builds that died (we hold the lock, so nobody else is using them).
            Trees.deleteChildren(paths.buildDir(), "kernel-");
            Trees.deleteChildren(paths.kernelsDir(), ".");
            Trees.deleteChildren(paths.sourcesDir(), ".download-");
            if (desired.chosen().choice() == KernelSourceFetcher.Choice.PIN) {
                // Nothing built yet: the pin only if the mirrors still serve it, else a newer build.
                KernelSourceFetcher.Chosen chosen = fetcher().choose(recipes.kernelSource(), progress);
                desired = new Desired(chosen, desired.fragment(), key(chosen.source(), desired.fragment()));
                existing = intact(desired.key().id());
                if (existing.isPresent() && !force) {
                    return existing.get();
                }
            }
            return buildLocked(desired, progress);
        }
    }

    private Optional<KernelArtifact> intact(String keyId) {
        return installed(keyId).filter(k -> k.info().problem(k.dir(), false).isEmpty());
    }

    private KernelArtifact buildLocked(Desired desired, Progress progress) {
        Instant started = Instant.now();
        String keyId = desired.key().id();
        KernelSource source = desired.source();
        progress.step("fetching " + source.packageName() + " " + source.version());
        Path deb = fetcher().fetch(source, progress);

        Path work = Trees.newStagingDir(paths.buildDir(), "kernel-" + keyId + "-");
        Path staging = null;
        BuildLog log = new BuildLog(paths.logsDir().resolve("kernel-" + keyId + "-"
                + started.truncatedTo(ChronoUnit.SECONDS).toString().replace(':', '-') + ".log"));
        try {
            Path src = unpack(deb, source, work, log, progress);
            Map<String, String> env = BuildCommands.environment(Map.of(
                    "KBUILD_BUILD_USER", "pyro", "KBUILD_BUILD_HOST", "pyro"));
            configure(src, desired.fragment(), env, log, progress);
            int jobs = jobs();
            long steps = compile(src, jobs, env, log, progress);
            String release = kernelRelease(src, env, log);

            progress.step("installing kernel " + release);
            staging = Trees.newStagingDir(paths.kernelsDir(), ".staging-");
            copyReadOnly(src.resolve("arch/x86/boot/bzImage"), staging.resolve(KernelInfo.BZIMAGE));
            copyReadOnly(src.resolve("vmlinux"), staging.resolve(KernelInfo.VMLINUX));
            copyReadOnly(src.resolve(".config"), staging.resolve(KernelInfo.CONFIG));
            List<InstalledFile> files = List.of(
                    InstalledFile.record(staging, KernelInfo.BZIMAGE),
                    InstalledFile.record(staging, KernelInfo.VMLINUX),
                    InstalledFile.record(staging, KernelInfo.CONFIG));
            Instant finished = Instant.now();
            KernelInfo info = new KernelInfo(1, keyId, desired.key().canonical(), release, source,
                    desired.fragment().sha256(), files.get(2).sha256(), files,
                    finished.truncatedTo(ChronoUnit.SECONDS).toString(),
                    Duration.between(started, finished).toSeconds(), jobs, compilerVersion(), steps,
                    desired.chosen().pinned(), desired.chosen().choice().wire);
            Files.write(staging.resolve(KernelInfo.FILE), Json.bytes(info));
            log.moveTo(staging.resolve("build.log"));
            Path target = paths.kernelsDir().resolve(keyId);
            Trees.install(staging, target);
            staging = null;
            progress.step("kernel " + release + " installed in " + target + " ("
                    + info.buildSeconds() + " s)");
            return new KernelArtifact(target, info);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            log.close();
            if (staging != null) {
                Trees.deleteRecursively(staging);
            }
            progress.step("removing the kernel work tree");
            Trees.deleteRecursively(work);
        }
    }

    /** dpkg-deb --fsys-tarfile | tar -xO (the source tarball) | tar -xJv, streamed, no temporary files. */
    private Path unpack(Path deb, KernelSource source, Path work, BuildLog log, Progress progress) {
        String what = "unpacking " + source.tarball().substring(source.tarball().lastIndexOf('/') + 1);
        progress.update(what, 0, ESTIMATED_SOURCE_ENTRIES);
        List<ProcessBuilder> pipeline = List.of(
                new ProcessBuilder(tools.tool("dpkg-deb").toString(), "--fsys-tarfile", deb.toString()),
                new ProcessBuilder(tools.tool("tar").toString(), "-xOf", "-", "./" + source.tarball()),
                new ProcessBuilder(tools.tool("tar").toString(), "-xJvf", "-", "-C", work.toString(),
                        "--no-same-owner"));
        for (ProcessBuilder step : pipeline) {
            log.command(step.command());
            step.redirectError(Redirect.appendTo(log.file().toFile()));
        }
        AtomicLong entries = new AtomicLong();
        int[] codes = Exec.pipeline(pipeline, line -> progress.update(what,
                Math.min(entries.incrementAndGet(), ESTIMATED_SOURCE_ENTRIES - 1), ESTIMATED_SOURCE_ENTRIES));
        for (int code : codes) {
            if (code != 0) {
                throw new PyroException(PyroException.Kind.BUILD_FAILED, "unpacking " + deb.getFileName()
                        + " failed (exit codes " + java.util.Arrays.toString(codes) + "; log: " + log.file() + ")");
            }
        }
        progress.update(what, entries.get(), entries.get());
        try (Stream<Path> top = Files.list(work)) {
            List<Path> dirs = top.filter(Files::isDirectory).toList();
            if (dirs.size() != 1 || !Files.isRegularFile(dirs.get(0).resolve("Makefile"))) {
                throw new PyroException(PyroException.Kind.BUILD_FAILED, "the source tarball in " + deb.getFileName()
                        + " does not hold one kernel tree (found " + dirs + ")");
            }
            return dirs.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void configure(Path src, KernelFragment fragment, Map<String, String> env, BuildLog log,
            Progress progress) {
        String make = tools.tool("make").toString();
        progress.step("configuring: make allnoconfig + kernel/microvm.config");
        BuildCommands.run("kernel build failed in make allnoconfig", List.of(make, "ARCH=x86_64", "allnoconfig"),
                src, env, log, line -> { });
        List<String> config = new ArrayList<>(List.of("scripts/config", "--file", ".config"));
        config.addAll(fragment.scriptsConfigArgs());
        BuildCommands.run("kernel build failed applying microvm.config", config, src, env, log, line -> { });
        BuildCommands.run("kernel build failed in make olddefconfig", List.of(make, "ARCH=x86_64", "olddefconfig"),
                src, env, log, line -> { });
        List<String> problems;
        try {
            problems = fragment.verify(DotConfig.parse(Files.readString(src.resolve(".config"))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!problems.isEmpty()) {
            log.line("options that did not stick: " + problems);
            throw new PyroException(PyroException.Kind.BUILD_FAILED, "kernel config options did not stick after"
                    + " make olddefconfig: " + String.join(", ", problems)
                    + "; add the options they depend on to kernel/microvm.config (log: " + log.file() + ")");
        }
        progress.step("configured: all " + fragment.options().size() + " options of microvm.config are set");
    }

    private long compile(Path src, int jobs, Map<String, String> env, BuildLog log, Progress progress) {
        long estimate = estimatedSteps();
        String what = "compiling with make -j" + jobs;
        progress.update(what, 0, estimate);
        AtomicLong steps = new AtomicLong();
        BuildCommands.run("kernel build failed while compiling",
                List.of(tools.tool("make").toString(), "ARCH=x86_64", "-j" + jobs, "bzImage", "vmlinux"),
                src, env, log, line -> {
                    if (MAKE_STEP.matcher(line).matches()) {
                        // Stay below 100% until make has actually finished.
                        progress.update(what, Math.min(steps.incrementAndGet(), estimate - 1), estimate);
                    }
                });
        progress.update(what, steps.get(), steps.get());
        return steps.get();
    }

    private String kernelRelease(Path src, Map<String, String> env, BuildLog log) {
        log.command(List.of("make", "-s", "kernelrelease"));
        Exec.Result result = Exec.capture(List.of(tools.tool("make").toString(), "-s", "ARCH=x86_64", "kernelrelease"),
                src, env, Duration.ofMinutes(1));
        String release = result.stdout().strip();
        if (!result.ok() || release.isEmpty() || release.contains("\n")) {
            log.line(result.stdout() + result.stderr());
            throw BuildCommands.failed("kernel build failed: make kernelrelease printed no release", log);
        }
        return release;
    }

    /** make's -j: PYRO_KERNEL_BUILD_JOBS, else min(CPUs, RAM GiB / 2), at least 1 (gcc can need ~1.5 GiB). */
    int jobs() {
        if (settings.kernelBuildJobs().isPresent()) {
            return settings.kernelBuildJobs().getAsInt();
        }
        long memGiB = Math.max(0, HostInfo.memTotalBytes()) / (1L << 30);
        return (int) Math.max(1, Math.min(HostInfo.cpuCount(), memGiB / 2));
    }

    /** The largest step count an installed kernel recorded, or the default. */
    private long estimatedSteps() {
        long best = DEFAULT_BUILD_STEPS;
        if (Files.isDirectory(paths.kernelsDir())) {
            try (Stream<Path> dirs = Files.list(paths.kernelsDir())) {
                for (Path dir : dirs.toList()) {
                    Optional<KernelInfo> info = Json.readIfValid(dir.resolve(KernelInfo.FILE), KernelInfo.class);
                    if (info.isPresent() && info.get().buildSteps() > 0) {
                        best = info.get().buildSteps();
                    }
                }
            } catch (IOException e) {
                return best;
            }
        }
        return best;
    }

    private String compilerVersion() {
        Exec.Result result = Exec.capture(List.of(tools.tool("gcc").toString(), "--version"));
        return result.stdout().lines().findFirst().orElse("unknown").strip();
    }

    private KernelSourceFetcher fetcher() {
        return new KernelSourceFetcher(tools, paths.sourcesDir(), paths.logsDir(), settings.kernelSourceVersion(),
                tools.isRoot());
    }

    static void copyReadOnly(Path from, Path to) throws IOException {
        Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("r--r--r--"));
    }
}
