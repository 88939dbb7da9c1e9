package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import dev.pyro.ProgressListener;
import dev.pyro.internal.host.HostRequirements;
import dev.pyro.internal.host.HostTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds an environment's read-only ext4 image: the cached base tree (see
 * {@link BaseTreeBuilder}) unpacked into a work tree, the {@link ImageTweaks} and the agent
 * applied, a manifest of exact package versions written, the tree packed by
 * {@link Ext4Image}, and the image installed into {@code <runtime>/environments/<dir>/<key>}
 * by one rename. The key covers the base tree's key, the tweaks and the agent binary.
 */
final class RootfsBuilder {
    static final String BUILDER_VERSION = "rootfs-image/1";

    private final RuntimePaths paths;
    private final RuntimeSettings settings;
    private final HostTools tools;

    RootfsBuilder(RuntimePaths paths, RuntimeSettings settings, HostTools tools) {
        this.paths = paths;
        this.settings = settings;
        this.tools = tools;
    }

    static String task(EnvironmentRecipe recipe) {
        return "rootfs:" + recipe.name();
    }

    /** The image key for this recipe with this agent binary. */
    static CacheKey key(EnvironmentRecipe recipe, String agentSha256) {
        return CacheKey.builder(BUILDER_VERSION)
                .add("environment", recipe.name())
                .add("environment_version", recipe.version())
                .add("base_key", BaseTreeBuilder.key(recipe).id())
                .add("hostname", recipe.image().hostname())
                .add("remove", recipe.image().remove())
                .add("agent_sha256", agentSha256);
    }

    /** The image installed under {@code keyId}, if its manifest is readable. */
    Optional<RootfsArtifact> installed(EnvironmentRecipe recipe, String keyId) {
        Path dir = paths.environmentDir(recipe.directory()).resolve(keyId);
        return Json.readIfValid(dir.resolve(RootfsManifest.FILE), RootfsManifest.class)
                .filter(m -> keyId.equals(m.key()) && recipe.name().equals(m.environment()))
                .map(m -> new RootfsArtifact(dir, m));
    }

    /**
     * Builds the image for {@code recipe} with {@code agent} unless an intact one exists.
     * {@code force} also bootstraps the base tree again (fresh packages from the mirror).
     */
    @SuppressWarnings("try") // the lock is held for the block's duration, never used in it
    RootfsArtifact build(EnvironmentRecipe recipe, AgentArtifact agent, boolean force, ProgressListener listener) {
        Progress progress = new Progress(listener, task(recipe));
        CacheKey key = key(recipe, agent.info().binarySha256());
        Optional<RootfsArtifact> existing = intact(recipe, key.id());
        if (existing.isPresent() && !force) {
            progress.step(recipe.name() + " image is up to date (" + existing.get().image() + ")");
            return existing.get();
        }
        if (!tools.isRoot()) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "building the " + recipe.name()
                    + " image needs root (mmdebstrap must create root-owned files); run it as root: sudo env"
                    + " PYRO_CACHE_DIR=" + paths.cacheDir() + " pyro runtime build-rootfs " + recipe.name());
        }
        tools.ensure(HostRequirements.ROOTFS_BUILD, listener);
        try (FileLocks.Held lock = FileLocks.acquire(paths.locksDir().resolve("rootfs-" + recipe.directory() + ".lock"),
                progress, "the " + recipe.name() + " image")) {
            existing = intact(recipe, key.id());
            if (existing.isPresent() && !force) {
                progress.step(recipe.name() + " image was just built by another pyro build; reusing it");
                return existing.get();
            }
            Trees.deleteChildren(paths.buildDir(), workPrefix(recipe));
            Trees.deleteChildren(paths.environmentDir(recipe.directory()), ".");
            Trees.deleteChildren(paths.baseTreesDir(recipe.directory()), ".");
            return buildLocked(recipe, agent, key, force, progress);
        }
    }

    /**
     * The prefix of this environment's work trees under {@code build/}. The separator cannot occur in
     * a recipe directory's name, so no environment's clean-up matches another's trees: with
     * {@code "rootfs-" + dir + "-"}, building debian:12-base deleted the tree debian:12 was
     * bootstrapping at that moment ({@code rootfs-debian-12-base-...}).
     */
    static String workPrefix(EnvironmentRecipe recipe) {
        return "rootfs@" + recipe.directory() + "@";
    }

    private Optional<RootfsArtifact> intact(EnvironmentRecipe recipe, String keyId) {
        return installed(recipe, keyId).filter(r -> r.manifest().problem(r.dir(), false).isEmpty());
    }

    private RootfsArtifact buildLocked(EnvironmentRecipe recipe, AgentArtifact agent, CacheKey key, boolean force,
            Progress progress) {
        BaseTreeBuilder bases = new BaseTreeBuilder(paths, tools,
                DebianMirror.sources(settings.debianMirror(), recipe.base(), Path.of("/etc/apt")));
        BaseTreeInfo base = bases.ensure(recipe, force, progress);

        Instant started = Instant.now();
        Path work = Trees.newStagingDir(paths.buildDir(), workPrefix(recipe) + "image-");
        Path staging = null;
        BuildLog log = new BuildLog(paths.logsDir().resolve("rootfs-" + recipe.directory() + "-" + key.id() + "-"
                + started.truncatedTo(ChronoUnit.SECONDS).toString().replace(':', '-') + ".log"));
        try {
            Path tree = work.resolve("tree");
            Files.createDirectory(tree);
            Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("rwxr-xr-x"));
            progress.step("unpacking the base tree");
            BuildCommands.run("unpacking the base tree failed", List.of(tools.tool("tar").toString(), "--extract",
                    "--file", bases.tarball(recipe, base.key()).toString(), "--numeric-owner", "--same-owner",
                    "--same-permissions", "--xattrs", "--xattrs-include=*", "-C", tree.toString()),
                    work, Map.of(), log, line -> { });

            progress.step("applying image tweaks and installing the guest agent");
            String agentSha = agent.info().binarySha256();
            new ImageTweaks(tree).apply(recipe, agent.binary(),
                    ImageTweaks.environmentJson(recipe, key.id(), base.packages(), agentSha));

            TreeSize size = TreeSize.measure(tree);
            progress.step("packing " + (size.dataBytes() >> 20) + " MiB into an ext4 image");
            staging = Trees.newStagingDir(paths.environmentDir(recipe.directory()), ".staging-");
            Path image = staging.resolve(RootfsManifest.IMAGE);
            new Ext4Image(tools.tool("mke2fs"), tools.tool("e2fsck")).create(tree, image, size, key.id(), work, log);
            Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("r--r--r--"));
            progress.step("hashing the image");
            InstalledFile imageFile = InstalledFile.record(staging, RootfsManifest.IMAGE);

            Instant finished = Instant.now();
            List<String> requested = recipe.base().packages();
            RootfsManifest manifest = new RootfsManifest(1, recipe.name(), recipe.version(), key.id(), key.canonical(),
                    base.key(), recipe.base().suite(), recipe.base().variant(), base.mirror(), requested,
                    packagesSha256(requested), base.packages(), agentSha, size.contentBytes(), size.inodes(),
                    Ext4Image.uuidFor(key.id(), "fs").toString(), List.of(imageFile),
                    finished.truncatedTo(ChronoUnit.SECONDS).toString(), Duration.between(started, finished).toSeconds(),
                    base.aptSources());
            Files.write(staging.resolve(RootfsManifest.FILE), Json.bytes(manifest));
            log.moveTo(staging.resolve("build.log"));
            Path target = paths.environmentDir(recipe.directory()).resolve(key.id());
            Trees.install(staging, target);
            staging = null;
            progress.step(recipe.name() + " image installed: " + target.resolve(RootfsManifest.IMAGE) + " ("
                    + (imageFile.size() >> 20) + " MiB, " + base.packages().size() + " packages)");
            return new RootfsArtifact(target, manifest);
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

    /** SHA-256 of the requested package list, one name per line, sorted: the "package list hash". */
    static String packagesSha256(List<String> packages) {
        StringBuilder text = new StringBuilder();
        packages.stream().sorted().forEach(p -> text.append(p).append('\n'));
        return Hashes.sha256(text.toString());
    }
}
