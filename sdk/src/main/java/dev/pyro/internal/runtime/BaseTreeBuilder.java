package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import dev.pyro.internal.host.Exec;
import dev.pyro.internal.host.HostTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Bootstraps an environment's Debian tree with mmdebstrap (about twice as fast as debootstrap
 * here: apt downloads in parallel) and keeps it as {@code base.tar}, keyed by suite, variant,
 * components, packages, dpkg path filters and hooks, so that a new agent or new image tweaks
 * reuse it. The caller holds the environment's build lock.
 */
final class BaseTreeBuilder {
    static final String BUILDER_VERSION = "base-tree/1";
    private static final Path HOOKS = Path.of("/usr/share/mmdebstrap/hooks");

    private final RuntimePaths paths;
    private final HostTools tools;
    private final List<String> sources;
    private final String mirror;

    /**
     * @param sources what mmdebstrap gets after the target: the mirror, or one {@code deb} line
     *     per suite ({@link DebianMirror#sources})
     */
    BaseTreeBuilder(RuntimePaths paths, HostTools tools, List<String> sources) {
        this.paths = paths;
        this.tools = tools;
        this.sources = List.copyOf(sources);
        this.mirror = sources.size() == 1 ? sources.get(0) : sources.get(0).split(" ")[1];
    }

    /** The key of the base tree of {@code recipe}; the mirror is deliberately not part of it. */
    static CacheKey key(EnvironmentRecipe recipe) {
        EnvironmentRecipe.Base base = recipe.base();
        CacheKey key = CacheKey.builder(BUILDER_VERSION)
                .add("distribution", base.distribution())
                .add("suite", base.suite())
                .add("variant", base.variant())
                .add("components", base.components())
                .add("packages", base.packages().stream().sorted().toList())
                .add("dpkg_path_exclude", base.dpkgPathExclude())
                .add("dpkg_path_include", base.dpkgPathInclude())
                .add("hooks", base.hooks());
        // Added only when present, so recipes without extra suites keep their keys.
        if (!base.extraSuites().isEmpty()) {
            key.add("extra_suites", base.extraSuites());
        }
        return key;
    }

    /** An intact cached base tree for {@code keyId}. */
    Optional<BaseTreeInfo> installed(EnvironmentRecipe recipe, String keyId) {
        Path dir = paths.baseTreesDir(recipe.directory()).resolve(keyId);
        return Json.readIfValid(dir.resolve(BaseTreeInfo.FILE), BaseTreeInfo.class)
                .filter(info -> keyId.equals(info.key()) && info.problem(dir, false).isEmpty());
    }

    Path tarball(EnvironmentRecipe recipe, String keyId) {
        return paths.baseTreesDir(recipe.directory()).resolve(keyId).resolve(BaseTreeInfo.TARBALL);
    }

    /** The cached base tree, bootstrapping it first when absent (or when {@code force}). */
    BaseTreeInfo ensure(EnvironmentRecipe recipe, boolean force, Progress progress) {
        CacheKey key = key(recipe);
        Optional<BaseTreeInfo> cached = installed(recipe, key.id());
        if (cached.isPresent() && !force) {
            progress.step("reusing the bootstrapped " + recipe.base().suite() + " tree " + key.id());
            return cached.get();
        }
        Instant started = Instant.now();
        Path baseDir = paths.baseTreesDir(recipe.directory());
        Path work = Trees.newStagingDir(paths.buildDir(), RootfsBuilder.workPrefix(recipe) + "base-");
        Path staging = null;
        BuildLog log = new BuildLog(paths.logsDir().resolve("base-" + recipe.directory() + "-" + key.id() + "-"
                + started.truncatedTo(ChronoUnit.SECONDS).toString().replace(':', '-') + ".log"));
        try {
            Path tree = work.resolve("tree");
            long units = bootstrap(recipe, tree, work, log, progress);
            List<PackageVersion> packages = installedPackages(tree);
            progress.step("packing the base tree (" + packages.size() + " packages)");
            staging = Trees.newStagingDir(baseDir, ".staging-");
            List<String> tar = List.of(tools.tool("tar").toString(), "--create", "--file",
                    staging.resolve(BaseTreeInfo.TARBALL).toString(), "--numeric-owner", "--xattrs",
                    "--xattrs-include=*", "--sort=name", "-C", tree.toString(), ".");
            BuildCommands.run("packing the base tree failed", tar, work, Map.of(), log, line -> { });
            Instant finished = Instant.now();
            BaseTreeInfo info = new BaseTreeInfo(1, key.id(), key.canonical(), mirror, packages,
                    List.of(InstalledFile.record(staging, BaseTreeInfo.TARBALL)),
                    finished.truncatedTo(ChronoUnit.SECONDS).toString(), Duration.between(started, finished).toSeconds(),
                    units, sources.size() == 1 ? List.of() : sources);
            Files.write(staging.resolve(BaseTreeInfo.FILE), Json.bytes(info));
            log.moveTo(staging.resolve("bootstrap.log"));
            Trees.install(staging, baseDir.resolve(key.id()));
            staging = null;
            return info;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            log.close();
            if (staging != null) {
                Trees.deleteRecursively(staging);
            }
            Trees.deleteRecursively(work);
        }
    }

    /** Runs mmdebstrap into {@code tree}; returns the output lines counted for progress. */
    private long bootstrap(EnvironmentRecipe recipe, Path tree, Path work, BuildLog log, Progress progress) {
        EnvironmentRecipe.Base base = recipe.base();
        List<String> argv = new ArrayList<>(List.of(tools.tool("mmdebstrap").toString(), "--mode=root",
                "--format=directory", "--variant=" + base.variant(), "--verbose",
                "--components=" + String.join(",", base.components()),
                "--aptopt=Acquire::Retries \"3\""));
        if (!base.packages().isEmpty()) {
            argv.add("--include=" + String.join(",", base.packages()));
        }
        for (String hook : base.hooks()) {
            Path dir = HOOKS.resolve(hook);
            if (!Files.isDirectory(dir)) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "the mmdebstrap hook directory " + dir
                        + " needed by " + recipe.name() + " is missing; install a newer mmdebstrap: apt-get install -y mmdebstrap");
            }
            argv.add("--hook-dir=" + dir);
        }
        base.dpkgPathExclude().forEach(p -> argv.add("--dpkgopt=path-exclude=" + p));
        base.dpkgPathInclude().forEach(p -> argv.add("--dpkgopt=path-include=" + p));
        argv.add(base.suite());
        argv.add(tree.toString());
        argv.addAll(sources);

        long estimate = estimatedUnits(recipe);
        AtomicLong units = new AtomicLong();
        String[] phase = {"bootstrapping Debian " + base.suite() + " (" + base.variant() + ") from " + mirror};
        progress.update(phase[0], 0, estimate);
        // mmdebstrap's temporary files go to our work dir, which we always delete.
        BuildCommands.run("bootstrapping " + recipe.name() + " with mmdebstrap failed", argv, work,
                BuildCommands.environment(Map.of("TMPDIR", work.toString())), log, line -> {
                    if (line.startsWith("I: ")) {
                        phase[0] = "mmdebstrap: " + line.substring(3);
                    } else if (!(line.startsWith("Get:") || line.startsWith("Unpacking ")
                            || line.startsWith("Setting up "))) {
                        return;
                    } else {
                        units.incrementAndGet();
                    }
                    progress.update(phase[0], Math.min(units.get(), estimate - 1), estimate);
                });
        progress.update("bootstrapped Debian " + base.suite(), units.get(), units.get());
        return units.get();
    }

    private List<PackageVersion> installedPackages(Path tree) {
        List<String> argv = List.of(tools.tool("dpkg-query").toString(), "--admindir=" + tree.resolve("var/lib/dpkg"),
                "-W", "-f=${Package}\\t${Version}\\t${Architecture}\\n");
        Exec.Result result = Exec.capture(argv);
        if (!result.ok()) {
            throw new PyroException(PyroException.Kind.BUILD_FAILED,
                    "dpkg-query could not list the packages of the new tree: " + result.firstErrorLine());
        }
        return parsePackages(result.stdout());
    }

    /** Parses {@code name TAB version TAB arch} lines, sorted by name. */
    static List<PackageVersion> parsePackages(String output) {
        List<PackageVersion> packages = new ArrayList<>();
        for (String line : output.split("\n")) {
            String[] fields = line.split("\t");
            if (fields.length == 3) {
                packages.add(new PackageVersion(fields[0], fields[1], fields[2]));
            }
        }
        packages.sort(java.util.Comparator.comparing(PackageVersion::name));
        return packages;
    }

    /** What the last bootstrap of this environment counted, or a guess from the package list. */
    private long estimatedUnits(EnvironmentRecipe recipe) {
        long guess = 3L * (100 + 4L * recipe.base().packages().size());
        Path dir = paths.baseTreesDir(recipe.directory());
        if (!Files.isDirectory(dir)) {
            return guess;
        }
        try (Stream<Path> bases = Files.list(dir)) {
            return bases.map(b -> Json.readIfValid(b.resolve(BaseTreeInfo.FILE), BaseTreeInfo.class))
                    .flatMap(Optional::stream).mapToLong(BaseTreeInfo::progressUnits).filter(u -> u > 0)
                    .max().orElse(guess);
        } catch (IOException e) {
            return guess;
        }
    }
}
