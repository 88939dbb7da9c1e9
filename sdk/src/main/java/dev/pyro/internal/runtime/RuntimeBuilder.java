package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.internal.host.AptLists;
import dev.pyro.internal.host.HostInfo;
import dev.pyro.internal.host.HostTools;
import dev.pyro.internal.oci.ImageReference;
import dev.pyro.internal.oci.OciSettings;
import java.nio.file.Path;
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
    private final OciSettings oci;
    private final EnvironmentPuller puller;
    private final EnvironmentPublisher publisher;
    private final EnvironmentPruner pruner;

    /**
     * A builder without registry settings (pulls need a full reference; anonymous access only).
     *
     * @param paths where the cache is
     * @param settings overrides (normally {@link RuntimeSettings#fromEnvironment})
     * @param recipes the recipes (normally {@link Recipes#fromClasspath()})
     * @param tools host tool lookup and installation
     */
    public RuntimeBuilder(RuntimePaths paths, RuntimeSettings settings, Recipes recipes, HostTools tools) {
        this(paths, settings, recipes, tools, OciSettings.defaults(Path.of(System.getProperty("user.home"))));
    }

    /**
     * @param oci registry settings (normally {@link OciSettings#fromEnvironment})
     */
    public RuntimeBuilder(RuntimePaths paths, RuntimeSettings settings, Recipes recipes, HostTools tools,
            OciSettings oci) {
        this.paths = Objects.requireNonNull(paths, "paths");
        this.recipes = Objects.requireNonNull(recipes, "recipes");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(tools, "tools");
        this.oci = Objects.requireNonNull(oci, "oci");
        this.kernels = new KernelBuilder(paths, settings, recipes, tools);
        this.agents = new AgentBuilder(paths, recipes, tools);
        this.images = new RootfsBuilder(paths, settings, tools);
        this.lockStore = RuntimeLockStore.of(paths);
        PulledStore pulls = new PulledStore(paths);
        this.inspector = new RuntimeInspector(recipes, kernels, agents, images, pulls, lockStore);
        this.puller = new EnvironmentPuller(paths, recipes, pulls, lockStore, oci, tools);
        this.publisher = new EnvironmentPublisher(paths, oci, tools);
        this.pruner = new EnvironmentPruner(paths, recipes, images, pulls, lockStore, inspector);
    }

    /** A builder for these paths and settings, with the packaged recipes and the host's tools. */
    public static RuntimeBuilder create(RuntimePaths paths, RuntimeSettings settings) {
        return create(paths, settings, OciSettings.fromEnvironment(System.getenv(),
                Path.of(System.getProperty("user.home"))));
    }

    /** Like {@link #create(RuntimePaths, RuntimeSettings)} with explicit registry settings. */
    public static RuntimeBuilder create(RuntimePaths paths, RuntimeSettings settings, OciSettings oci) {
        HostTools tools = new HostTools(HostTools.searchPath(System.getenv()), settings.autoInstall(),
                HostInfo.isRoot(), paths.logsDir(),
                AptLists.host(paths.aptListsStamp()));
        return new RuntimeBuilder(paths, settings, Recipes.fromClasspath(), tools, oci);
    }

    /** The registry settings ({@code PYRO_REGISTRY} and friends). */
    public OciSettings ociSettings() {
        return oci;
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
     * The named environment's recipe.
     *
     * @throws PyroException INVALID_ARGUMENT listing the known environments
     */
    public EnvironmentRecipe environment(String name) {
        return recipes.environment(name);
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
        // An environment installed from a registry brings its own kernel: nothing to build for it.
        List<EnvironmentRecipe> toBuild = wanted.stream().filter(r -> {
            InstalledEnvironment installed = inspector.current(r).installed();
            return installed == null || !installed.pulled();
        }).toList();
        if (!toBuild.isEmpty()) {
            buildKernel(false, progress);
            buildAgent(false, progress);
        }
        for (EnvironmentRecipe recipe : toBuild) {
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
     * @return the effective capability flags of that environment afterwards
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
        EnvironmentRecipe recipe = recipes.environment(booted.environment());
        EnvironmentState current = inspector.current(recipe);
        InstalledEnvironment installed = current.installed();
        boolean same = installed != null && installed.kernelSha256().equals(booted.kernelSha256())
                && installed.agentSha256().equals(booted.agentSha256())
                && installed.imageSha256().equals(booted.imageSha256());
        KernelArtifact kernel = same && !installed.pulled() ? inspector.currentKernel() : null;
        AgentArtifact agent = same && !installed.pulled() ? inspector.currentAgent() : null;
        RootfsArtifact rootfs = same && !installed.pulled() ? inspector.currentBuilt(recipe).orElse(null) : null;
        lockStore.update(lock -> {
            RuntimeLock updated = lock;
            if (same && installed.pulled()) {
                updated = updated.withEnvironment(booted.environment(),
                        LockEntries.pulled(new PulledEnvironment(installed.dir(), installed.pulledInfo())));
            } else if (kernel != null && agent != null && rootfs != null) {
                updated = updated.withKernel(LockEntries.kernel(kernel)).withAgent(LockEntries.agent(agent))
                        .withEnvironment(booted.environment(), LockEntries.environment(rootfs));
            }
            return updated.withCapability(capability, proof);
        });
        return status(false, ProgressListener.NONE).capabilitiesOf(booted.environment());
    }

    /**
     * Whether {@code vm_boot} and {@code guest_exec} are proven for exactly these artifacts of
     * this environment (each environment is proven on its own: another environment's proof,
     * or a proof of other artifacts, does not count).
     */
    public boolean proven(ResolvedRuntime resolved) {
        return proven(resolved, List.of(Capability.VM_BOOT, Capability.GUEST_EXEC));
    }

    /** Whether each of {@code capabilities} is proven for exactly these artifacts of this environment. */
    public boolean proven(ResolvedRuntime resolved, List<Capability> capabilities) {
        // On the path of every run: one read of the lock, no inspection of other environments.
        // The proofs must name exactly the artifacts that resolve() just checked; the lock's
        // normalisation has already withdrawn any proof whose artifacts changed since.
        RuntimeLock lock = lockStore.read();
        Map<String, String> artifacts = Map.of(
                RuntimeLock.KERNEL, resolved.kernelSha256(),
                RuntimeLock.AGENT, resolved.agentSha256(),
                RuntimeLock.rootfsId(resolved.environment()), resolved.imageSha256());
        Map<String, CapabilityProof> proofs = lock.proofsOf(resolved.environment());
        for (Capability capability : capabilities) {
            CapabilityProof proof = proofs.get(capability.wireName());
            if (proof == null || !proof.proven() || !resolved.environment().equals(proof.environment())
                    || !proof.artifacts().equals(artifacts)) {
                return false;
            }
        }
        return true;
    }

    /** Each known environment's state, sorted by name. */
    public List<EnvironmentState> environmentStates() {
        return status(false, ProgressListener.NONE).environments();
    }

    /**
     * Pulls an environment from a registry: {@code ENV[@sha256:...]} under {@code PYRO_REGISTRY},
     * or a full reference {@code REGISTRY/REPOSITORY:TAG[@sha256:...]}. See {@link EnvironmentPuller}.
     *
     * @throws PyroException INVALID_ARGUMENT (unknown environment, malformed reference, no
     *     registry configured, not a pyro artifact), NOT_FOUND (unknown tag), HOST_SETUP
     *     (registry unreachable, login refused, disk full), RUNTIME_NOT_READY (digest mismatch)
     */
    public PullOutcome pull(String reference, ProgressListener progress) {
        return puller.pull(reference, progress);
    }

    /** Whether {@code PYRO_REGISTRY} is set, so a missing environment is pulled rather than built. */
    public boolean hasDefaultRegistry() {
        return oci.registry().isPresent();
    }

    /**
     * Publishes an installed environment to {@code target} ({@code REGISTRY/REPOSITORY:TAG}).
     *
     * @throws PyroException RUNTIME_NOT_READY when the environment is not installed
     */
    public PublishOutcome publish(String environment, String target, ProgressListener progress) {
        EnvironmentRecipe recipe = recipes.environment(environment);
        ImageReference.parse(target); // a malformed target fails before any work
        ResolvedRuntime resolved = resolve(environment, progress);
        EnvironmentState state = inspector.current(recipe);
        if (state.installed() == null || !state.installed().resolved().equals(resolved)) {
            throw new PyroException(PyroException.Kind.RUNTIME_NOT_READY, environment
                    + " changed while preparing to publish it; run the command again");
        }
        return publisher.publish(recipe, state.installed(), target, progress);
    }

    /** Removes stale and broken environment entries and leftover downloads. See {@link EnvironmentPruner}. */
    public PruneOutcome prune(ProgressListener progress) {
        return pruner.prune(progress);
    }

    /** The lock store (for tests and the facade's doctor). */
    public RuntimeLockStore lockStore() {
        return lockStore;
    }
}
