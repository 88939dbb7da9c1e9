package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.internal.host.HostInfo;
import dev.pyro.internal.host.HostTools;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The runtime pipeline's entry point for the SDK facade: build the guest kernel, the guest
 * agent and environment images into the cache, report their status, hand out the artifacts
 * to boot, and record capabilities proven by real boots.
 *
 * <p>Every build is keyed by the content of its inputs and skipped when an intact result with
 * the same key is installed; concurrent processes wait for each other and reuse the result.
 * Errors are {@link PyroException}s with one-line messages. Progress goes to the listener.
 * Instances are thread-safe.
 */
public final class RuntimeBuilder {
    private final RuntimePaths paths;
    private final Recipes recipes;
    private final KernelBuilder kernels;
    private final AgentBuilder agents;
    private final RootfsBuilder images;
    private final RuntimeLockStore lockStore;
    private final RuntimeInspector inspector;

    /**
     * @param paths where the cache is
     * @param settings overrides (normally {@link RuntimeSettings#fromEnvironment})
     * @param recipes the recipes (normally {@link Recipes#fromClasspath()})
     * @param tools host tool lookup and installation
     */
    public RuntimeBuilder(RuntimePaths paths, RuntimeSettings settings, Recipes recipes, HostTools tools) {
        this.paths = Objects.requireNonNull(paths, "paths");
        this.recipes = Objects.requireNonNull(recipes, "recipes");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(tools, "tools");
        this.kernels = new KernelBuilder(paths, settings, recipes, tools);
        this.agents = new AgentBuilder(paths, recipes, tools);
        this.images = new RootfsBuilder(paths, settings, tools);
        this.lockStore = RuntimeLockStore.of(paths);
        this.inspector = new RuntimeInspector(recipes, kernels, agents, images, lockStore);
    }

    /** A builder for these paths and settings, with the packaged recipes and the host's tools. */
    public static RuntimeBuilder create(RuntimePaths paths, RuntimeSettings settings) {
        HostTools tools = new HostTools(HostTools.searchPath(System.getenv()), settings.autoInstall(),
                HostInfo.isRoot(), paths.logsDir());
        return new RuntimeBuilder(paths, settings, Recipes.fromClasspath(), tools);
    }

    /** A builder configured entirely from this process's environment variables. */
    public static RuntimeBuilder fromEnvironment() {
        return create(RuntimePaths.defaults(), RuntimeSettings.fromEnvironment(System.getenv()));
    }

    public RuntimePaths paths() {
        return paths;
    }

    /** The known environments, sorted by name. */
    public List<EnvironmentRecipe> environments() {
        return recipes.environments();
    }

    /**
     * Builds the guest kernel (about 8 minutes on 2 cores) unless it is up to date.
     *
     * @param force rebuild even if an intact kernel with the same inputs is installed
     * @throws PyroException HOST_SETUP (missing tools), BUILD_FAILED (naming the log), CANCELLED
     */
    public KernelArtifact buildKernel(boolean force, ProgressListener progress) {
        KernelArtifact kernel = kernels.build(force, progress);
        lockStore.update(lock -> lock.withKernel(LockEntries.kernel(kernel)));
        return kernel;
    }

    /** Builds the static guest agent unless it is up to date (same sources and compiler). */
    public AgentArtifact buildAgent(boolean force, ProgressListener progress) {
        AgentArtifact agent = agents.build(force, progress);
        lockStore.update(lock -> lock.withAgent(LockEntries.agent(agent)));
        return agent;
    }

    /**
     * Builds an environment's image (and the agent it contains) unless it is up to date.
     *
     * @param environment an environment name such as {@code debian:12-base}
     * @param force bootstrap the Debian tree again and rebuild the image
     * @throws PyroException INVALID_ARGUMENT for an unknown environment (listing the known ones)
     */
    public RootfsArtifact buildRootfs(String environment, boolean force, ProgressListener progress) {
        EnvironmentRecipe recipe = recipes.environment(environment);
        AgentArtifact agent = buildAgent(false, progress);
        RootfsArtifact rootfs = images.build(recipe, agent, force, progress);
        lockStore.update(lock -> lock.withEnvironment(recipe.name(), LockEntries.environment(rootfs)));
        return rootfs;
    }

    /**
     * Builds whatever is missing or stale: the kernel, the agent and the given environments'
     * images (all known environments when {@code environments} is empty).
     *
     * @return the status afterwards
     */
    public RuntimeStatus materialize(List<String> environments, ProgressListener progress) {
        List<EnvironmentRecipe> wanted = new ArrayList<>();
        if (environments.isEmpty()) {
            wanted.addAll(recipes.environments());
        } else {
            // Check every name before starting minutes of work.
            environments.forEach(name -> wanted.add(recipes.environment(name)));
        }
        buildKernel(false, progress);
        buildAgent(false, progress);
        for (EnvironmentRecipe recipe : wanted) {
            buildRootfs(recipe.name(), false, progress);
        }
        progress.onProgress(ProgressEvent.of("runtime", "runtime materialized in " + paths.runtimeDir()));
        return status(false, progress);
    }

    /**
     * Each component's state and the effective capability flags.
     *
     * @param verifyHashes re-hash every installed file (seconds for a large image) instead of
     *     checking the size and modification time recorded at install
     */
    public RuntimeStatus status(boolean verifyHashes, ProgressListener progress) {
        return inspector.status(verifyHashes, new Progress(progress, "verify"));
    }

    /**
     * The installed kernel and image to boot {@code environment}, after the cheap integrity
     * check (sizes and modification times).
     *
     * @throws PyroException INVALID_ARGUMENT for an unknown environment; RUNTIME_NOT_READY
     *     naming the missing, stale or corrupt component and "run: pyro runtime materialize"
     */
    public ResolvedRuntime resolve(String environment, ProgressListener progress) {
        return inspector.resolve(recipes.environment(environment), new Progress(progress, "runtime"));
    }

    /**
     * Records that {@code capability} was proven by a real check against {@code booted} (what
     * {@link #resolve} returned for the VM that passed). The flag reads true only while those
     * exact artifacts stay installed and intact.
     *
     * @return the effective capability flags afterwards
     */
    public Map<Capability, Boolean> recordCapability(Capability capability, ResolvedRuntime booted) {
        Objects.requireNonNull(capability, "capability");
        Objects.requireNonNull(booted, "booted");
        CapabilityProof proof = new CapabilityProof(true, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                booted.environment(), Map.of(
                        RuntimeLock.KERNEL, booted.kernelSha256(),
                        RuntimeLock.AGENT, booted.agentSha256(),
                        RuntimeLock.rootfsId(booted.environment()), booted.imageSha256()));
        // Make sure the lock describes the artifacts that ran (it may predate them, e.g. after the
        // lock file was deleted); normalising withdraws the proof if they are no longer installed.
        RuntimeInspector.Current current = inspector.current(recipes.environment(booted.environment()));
        lockStore.update(lock -> {
            RuntimeLock updated = lock;
            if (current.matches(booted)) {
                updated = updated.withKernel(LockEntries.kernel(current.kernel()))
                        .withAgent(LockEntries.agent(current.agent()))
                        .withEnvironment(booted.environment(), LockEntries.environment(current.rootfs()));
            }
            return updated.withCapability(capability, proof);
        });
        return status(false, ProgressListener.NONE).capabilities();
    }

    /** The lock store (for tests and the facade's doctor). */
    public RuntimeLockStore lockStore() {
        return lockStore;
    }
}
