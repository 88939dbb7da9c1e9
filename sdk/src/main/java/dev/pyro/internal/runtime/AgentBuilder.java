package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import dev.pyro.ProgressListener;
import dev.pyro.internal.host.Exec;
import dev.pyro.internal.host.HostRequirements;
import dev.pyro.internal.host.HostTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the static guest agent: copy every source file of the recipes' {@code agent/} into a
 * work directory, run {@code make pyro-agent}, check the result is a static x86-64 ELF, and
 * install it into {@code <runtime>/agent/<key>}, keyed by the sources and the compiler.
 */
final class AgentBuilder {
    /** Bump when the build procedure changes in a way that changes the output. */
    static final String BUILDER_VERSION = "agent/1";
    static final String TASK = "agent";

    private final RuntimePaths paths;
    private final Recipes recipes;
    private final HostTools tools;

    AgentBuilder(RuntimePaths paths, Recipes recipes, HostTools tools) {
        this.paths = paths;
        this.recipes = recipes;
        this.tools = tools;
    }

    /** The agent sources, or BUILD_FAILED when this pyro has none. */
    AgentSources sources() {
        AgentSources sources = recipes.agentSources();
        if (sources.isEmpty()) {
            throw new PyroException(PyroException.Kind.BUILD_FAILED, "this pyro build has no guest agent sources ("
                    + recipes.root().resolve("agent") + " is empty); rebuild pyro with runtime_sources/linux-x86_64/agent");
        }
        return sources;
    }

    /** The key of an agent built from these sources with this compiler. */
    static CacheKey key(AgentSources sources, String compiler) {
        return CacheKey.builder(BUILDER_VERSION).add("source_sha256", sources.sha256()).add("compiler", compiler);
    }

    /** The agent installed under {@code keyId}, if its metadata is readable. */
    Optional<AgentArtifact> installed(String keyId) {
        Path dir = paths.agentsDir().resolve(keyId);
        return Json.readIfValid(dir.resolve(AgentInfo.FILE), AgentInfo.class)
                .filter(info -> keyId.equals(info.key()))
                .map(info -> new AgentArtifact(dir, info));
    }

    /**
     * The newest installed agent built from sources with this sha256 (any compiler), found
     * without running the compiler: the run path needs no gcc.
     */
    Optional<AgentArtifact> installedFromSources(String sourceSha256) {
        Path dir = paths.agentsDir();
        if (!java.nio.file.Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (java.util.stream.Stream<Path> keys = java.nio.file.Files.list(dir)) {
            return keys.map(k -> installed(k.getFileName().toString()))
                    .flatMap(Optional::stream)
                    .filter(a -> a.info().sourceSha256().equals(sourceSha256))
                    .filter(a -> java.nio.file.Files.isRegularFile(a.binary()))
                    .max(java.util.Comparator.comparing(a -> a.dir().toFile().lastModified()));
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }

    /** Builds the agent unless an intact one for the same sources and compiler exists (or {@code force}). */
    @SuppressWarnings("try") // the lock is held for the block's duration, never used in it
    AgentArtifact build(boolean force, ProgressListener listener) {
        Progress progress = new Progress(listener, TASK);
        tools.ensure(HostRequirements.AGENT_BUILD, listener);
        AgentSources sources = sources();
        String compiler = compilerVersion();
        CacheKey key = key(sources, compiler);
        Optional<AgentArtifact> existing = intact(key.id());
        if (existing.isPresent() && !force) {
            progress.step("guest agent is up to date (" + existing.get().dir() + ")");
            return existing.get();
        }
        try (FileLocks.Held lock = FileLocks.acquire(paths.locksDir().resolve("agent.lock"), progress, "the agent")) {
            existing = intact(key.id());
            if (existing.isPresent() && !force) {
                return existing.get();
            }
            Trees.deleteChildren(paths.buildDir(), "agent-");
            Trees.deleteChildren(paths.agentsDir(), ".");
            return buildLocked(sources, compiler, key, progress);
        }
    }

    private Optional<AgentArtifact> intact(String keyId) {
        return installed(keyId).filter(a -> a.info().problem(a.dir(), false).isEmpty());
    }

    private AgentArtifact buildLocked(AgentSources sources, String compiler, CacheKey key, Progress progress) {
        Instant started = Instant.now();
        Path work = Trees.newStagingDir(paths.buildDir(), "agent-" + key.id() + "-");
        Path staging = null;
        BuildLog log = new BuildLog(paths.logsDir().resolve("agent-" + key.id() + "-"
                + started.truncatedTo(ChronoUnit.SECONDS).toString().replace(':', '-') + ".log"));
        try {
            progress.step("copying " + sources.files().size() + " agent source files");
            for (AgentSources.SourceFile file : sources.files()) {
                Path target = work.resolve(file.path()).normalize();
                if (!target.startsWith(work)) {
                    throw new IllegalStateException("agent source path escapes the work dir: " + file.path());
                }
                Files.createDirectories(target.getParent());
                Files.write(target, file.content());
            }
            progress.step("compiling the guest agent: make pyro-agent");
            // -B: rebuild everything even if a stale object came along with the sources.
            BuildCommands.run("guest agent build failed in make pyro-agent",
                    List.of(tools.tool("make").toString(), "-B", "pyro-agent"), work,
                    BuildCommands.environment(Map.of()), log, line -> progress.step("make: " + shorten(line)));
            Path binary = work.resolve(AgentInfo.BINARY);
            if (!Files.isRegularFile(binary)) {
                throw BuildCommands.failed("guest agent build failed: make pyro-agent produced no ./pyro-agent", log);
            }
            ElfCheck.Result elf = ElfCheck.check(binary);
            if (!elf.ok()) {
                log.line("ELF check: " + elf.description());
                throw new PyroException(PyroException.Kind.BUILD_FAILED, "the built guest agent is not a static"
                        + " x86-64 executable: " + elf.description() + " (log: " + log.file() + ")");
            }
            staging = Trees.newStagingDir(paths.agentsDir(), ".staging-");
            Path installed = staging.resolve(AgentInfo.BINARY);
            Files.copy(binary, installed, StandardCopyOption.COPY_ATTRIBUTES);
            Files.setPosixFilePermissions(installed, PosixFilePermissions.fromString("r-xr-xr-x"));
            Instant finished = Instant.now();
            AgentInfo info = new AgentInfo(1, key.id(), key.canonical(), sources.sha256(), compiler,
                    List.of(InstalledFile.record(staging, AgentInfo.BINARY)), elf.description(),
                    finished.truncatedTo(ChronoUnit.SECONDS).toString(), Duration.between(started, finished).toSeconds());
            Files.write(staging.resolve(AgentInfo.FILE), Json.bytes(info));
            log.moveTo(staging.resolve("build.log"));
            Path target = paths.agentsDir().resolve(key.id());
            Trees.install(staging, target);
            staging = null;
            progress.step("guest agent installed in " + target + " (" + elf.description() + ", "
                    + info.file(AgentInfo.BINARY).size() + " bytes)");
            return new AgentArtifact(target, info);
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

    /** First line of {@code gcc --version}: part of the key, since another compiler makes another binary. */
    String compilerVersion() {
        Exec.Result result = Exec.capture(List.of(tools.tool("gcc").toString(), "--version"));
        if (!result.ok()) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "gcc --version failed: " + result.firstErrorLine()
                    + "; reinstall it with: apt-get install --reinstall gcc");
        }
        return result.stdout().lines().findFirst().orElse("unknown").strip();
    }

    private static String shorten(String line) {
        String s = line.strip();
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
