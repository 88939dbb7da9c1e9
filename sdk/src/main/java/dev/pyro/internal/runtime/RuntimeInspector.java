package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Works out each component's state from the recipes, the installed directories and the lock,
 * and applies the safety rule to the capability proofs. Reads only; builds nothing.
 *
 * <p>The kernel is found by its key (recipes + override). The agent is judged by its source
 * hash against the lock's agent entry (not by compiler, so the boot path needs no gcc). A built
 * image is found by its key, which includes the current agent binary. A pulled image is the
 * one the lock names (the last pull or build of an environment decides which one it uses); it
 * is judged by its own files, and boots its own kernel.
 */
final class RuntimeInspector {
    private final Recipes recipes;
    private final KernelBuilder kernels;
    private final AgentBuilder agents;
    private final RootfsBuilder images;
    private final PulledStore pulls;
    private final RuntimeLockStore lockStore;

    RuntimeInspector(Recipes recipes, KernelBuilder kernels, AgentBuilder agents, RootfsBuilder images,
            PulledStore pulls, RuntimeLockStore lockStore) {
        this.recipes = recipes;
        this.kernels = kernels;
        this.agents = agents;
        this.images = images;
        this.pulls = pulls;
        this.lockStore = lockStore;
    }

    /** A component's state plus the artifact behind it (when there is one). */
    record Inspected<T>(ComponentStatus status, T artifact) {
    }

    RuntimeStatus status(boolean full, Progress progress) {
        RuntimeLock lock = lockStore.read();
        List<ComponentStatus> components = new ArrayList<>();
        Inspected<KernelArtifact> kernel = kernel(lock, full, progress);
        components.add(kernel.status());
        Inspected<AgentArtifact> agent = agent(lock, full, progress);
        components.add(agent.status());
        List<EnvironmentState> states = new ArrayList<>();
        for (EnvironmentRecipe recipe : recipes.environments()) {
            EnvironmentState state = environment(recipe, lock, kernel, agent, full, progress);
            components.add(state.status());
            states.add(state);
        }
        Map<String, Map<Capability, Boolean>> perEnvironment = new LinkedHashMap<>();
        for (EnvironmentState state : states) {
            perEnvironment.put(state.name(), flags(lock, lock.proofsOf(state.name()), states));
        }
        return new RuntimeStatus(lockStore.file().getParent(), lockStore.file(), components,
                flags(lock, lock.capabilities(), states), full, states, perEnvironment);
    }

    /** The installed artifacts for {@code recipe}, checked cheaply, or RUNTIME_NOT_READY. */
    ResolvedRuntime resolve(EnvironmentRecipe recipe, Progress progress) {
        RuntimeLock lock = lockStore.read();
        Inspected<KernelArtifact> kernel = kernel(lock, false, progress);
        Inspected<AgentArtifact> agent = agent(lock, false, progress);
        EnvironmentState state = environment(recipe, lock, kernel, agent, false, progress);
        if (state.installed() != null) {
            return state.installed().resolved();
        }
        List<ComponentStatus> needed = RuntimeLock.PULLED.equals(state.source())
                ? List.of(state.status()) : List.of(kernel.status(), agent.status(), state.status());
        for (ComponentStatus status : needed) {
            if (!status.ready()) {
                String fix = RuntimeLock.PULLED.equals(state.source()) ? "pyro env pull " + recipe.name()
                        : "pyro runtime materialize";
                throw new PyroException(PyroException.Kind.RUNTIME_NOT_READY, "the guest runtime for " + recipe.name()
                        + " is not ready: " + status.id() + " is " + status.state().wireName()
                        + (status.detail() == null ? "" : " (" + status.detail() + ")") + "; run: " + fix);
            }
        }
        throw new IllegalStateException("environment " + recipe.name() + " is ready but not installed");
    }

    /** The environment's state now, checked cheaply. */
    EnvironmentState current(EnvironmentRecipe recipe) {
        RuntimeLock lock = lockStore.read();
        Progress quiet = new Progress(dev.pyro.ProgressListener.NONE, "runtime");
        return environment(recipe, lock, kernel(lock, false, quiet), agent(lock, false, quiet), false, quiet);
    }

    /** The installed built image for {@code recipe} now, if intact (for lock entries). */
    Optional<RootfsArtifact> currentBuilt(EnvironmentRecipe recipe) {
        RuntimeLock lock = lockStore.read();
        Progress quiet = new Progress(dev.pyro.ProgressListener.NONE, "runtime");
        return Optional.ofNullable(rootfs(recipe, lock, agent(lock, false, quiet), false, quiet).artifact());
    }

    /** The kernel and agent artifacts now, when ready (for lock entries). */
    KernelArtifact currentKernel() {
        RuntimeLock lock = lockStore.read();
        return kernel(lock, false, new Progress(dev.pyro.ProgressListener.NONE, "runtime")).artifact();
    }

    AgentArtifact currentAgent() {
        RuntimeLock lock = lockStore.read();
        return agent(lock, false, new Progress(dev.pyro.ProgressListener.NONE, "runtime")).artifact();
    }

    EnvironmentState environment(EnvironmentRecipe recipe, RuntimeLock lock, Inspected<KernelArtifact> kernel,
            Inspected<AgentArtifact> agent, boolean full, Progress progress) {
        RuntimeLock.Environment entry = lock.environments().get(recipe.name());
        if (entry != null && entry.pulled()) {
            return pulled(recipe, entry, full, progress);
        }
        Inspected<RootfsArtifact> rootfs = rootfs(recipe, lock, agent, full, progress);
        InstalledEnvironment installed = null;
        if (rootfs.artifact() != null && kernel.artifact() != null && agent.artifact() != null) {
            installed = InstalledEnvironment.built(recipe, kernel.artifact(), rootfs.artifact());
        }
        String source = rootfs.status().state() == ComponentState.MISSING ? null : RuntimeLock.BUILT;
        return new EnvironmentState(recipe, rootfs.status(), source, installed);
    }

    private EnvironmentState pulled(EnvironmentRecipe recipe, RuntimeLock.Environment entry, boolean full,
            Progress progress) {
        String id = RuntimeLock.rootfsId(recipe.name());
        Path dir = Path.of(entry.path());
        Optional<PulledEnvironment> found = pulls.read(recipe, dir);
        if (found.isEmpty()) {
            ComponentStatus status = Files.isDirectory(dir)
                    ? new ComponentStatus(id, ComponentState.CORRUPT, entry.version(), entry.imageSha256(),
                            dir.resolve(EnvironmentConfig.IMAGE), dir.resolve(PulledInfo.FILE) + " is missing or unreadable")
                    : new ComponentStatus(id, ComponentState.MISSING, null, null, null,
                            "the pulled image " + dir + " is gone");
            return new EnvironmentState(recipe, status, RuntimeLock.PULLED, null);
        }
        PulledEnvironment p = found.get();
        String version = p.info().config().version() + " (pulled " + shortDigest(p.info().digest()) + ")";
        ComponentStatus status = checked(id, version, p.imageSha256(), p.image(), p.dir(), p.info(), full, progress);
        InstalledEnvironment installed = null;
        if (status.ready()) {
            Optional<RootfsManifest> manifest = Json.readIfValid(p.manifestFile(), RootfsManifest.class);
            if (manifest.isEmpty()) {
                status = new ComponentStatus(id, ComponentState.CORRUPT, version, p.imageSha256(), p.image(),
                        p.manifestFile() + " is unreadable");
            } else {
                installed = InstalledEnvironment.pulled(p, manifest.get());
            }
        }
        return new EnvironmentState(recipe, status, RuntimeLock.PULLED, installed);
    }

    private static String shortDigest(String digest) {
        return digest == null || digest.length() < 19 ? String.valueOf(digest) : digest.substring(0, 19);
    }

    Inspected<KernelArtifact> kernel(RuntimeLock lock, boolean full, Progress progress) {
        String id = RuntimeLock.KERNEL;
        KernelBuilder.Desired desired;
        try {
            desired = kernels.desired();
        } catch (PyroException e) {
            return new Inspected<>(ComponentStatus.missing(id, e.getMessage()), null);
        }
        Optional<KernelArtifact> installed = kernels.installed(desired.key().id());
        if (installed.isPresent()) {
            KernelArtifact k = installed.get();
            String version = k.release() + " (" + k.info().describeSource() + ")";
            return readyOnly(checked(id, version, k.info().file(KernelInfo.BZIMAGE).sha256(), k.bzImage(),
                    k.dir(), k.info(), full, progress), k);
        }
        RuntimeLock.Kernel old = lock.kernel();
        if (old != null && Files.isDirectory(Path.of(old.path()))) {
            return new Inspected<>(new ComponentStatus(id, ComponentState.STALE, old.release(), old.bzimageSha256(),
                    Path.of(old.path(), KernelInfo.BZIMAGE), "built from " + old.sourcePackage() + " "
                    + old.sourceVersion() + " with another config; the recipes now want "
                    + desired.source().version() + " (key " + desired.key().id() + ")"), null);
        }
        return new Inspected<>(ComponentStatus.missing(id, "not built"), null);
    }

    Inspected<AgentArtifact> agent(RuntimeLock lock, boolean full, Progress progress) {
        String id = RuntimeLock.AGENT;
        AgentSources sources = recipes.agentSources();
        if (sources.isEmpty()) {
            return new Inspected<>(ComponentStatus.missing(id, "this pyro build has no agent sources"), null);
        }
        RuntimeLock.Agent entry = lock.agent();
        Optional<AgentArtifact> installed = entry == null ? Optional.empty() : agents.installed(entry.key());
        if (installed.isEmpty() || !installed.get().info().sourceSha256().equals(sources.sha256())) {
            // The lock names the agent built last, maybe by another pyro checkout sharing this
            // cache with other agent sources: an intact agent built from *these* sources counts
            // too, so two checkouts never take each other's runtime for stale.
            Optional<AgentArtifact> ours = agents.installedFromSources(sources.sha256());
            if (ours.isPresent()) {
                installed = ours;
            }
        }
        if (installed.isEmpty()) {
            return new Inspected<>(ComponentStatus.missing(id, entry == null ? "not built" : entry.path() + " is gone"),
                    null);
        }
        AgentArtifact a = installed.get();
        String version = "source " + a.info().sourceSha256().substring(0, 12);
        if (!a.info().sourceSha256().equals(sources.sha256())) {
            return new Inspected<>(new ComponentStatus(id, ComponentState.STALE, version, a.info().binarySha256(),
                    a.binary(), "built from other agent sources"), null);
        }
        return readyOnly(checked(id, version, a.info().binarySha256(), a.binary(), a.dir(), a.info(), full,
                progress), a);
    }

    Inspected<RootfsArtifact> rootfs(EnvironmentRecipe recipe, RuntimeLock lock, Inspected<AgentArtifact> agent,
            boolean full, Progress progress) {
        String id = RuntimeLock.rootfsId(recipe.name());
        RuntimeLock.Environment entry = lock.environments().get(recipe.name());
        if (agent.status().ready()) {
            CacheKey key = RootfsBuilder.key(recipe, agent.artifact().info().binarySha256());
            Optional<RootfsArtifact> installed = images.installed(recipe, key.id());
            if (installed.isPresent()) {
                RootfsArtifact r = installed.get();
                return readyOnly(checked(id, recipe.version() + " (" + recipe.base().suite() + ")",
                        r.manifest().imageSha256(), r.image(), r.dir(), r.manifest(), full, progress), r);
            }
        }
        if (entry != null && !entry.pulled() && Files.isDirectory(Path.of(entry.path()))) {
            String why = agent.status().ready() ? "built from other recipes or another agent"
                    : "the agent is " + agent.status().state().wireName();
            return new Inspected<>(new ComponentStatus(id, ComponentState.STALE, entry.version(), entry.imageSha256(),
                    Path.of(entry.path(), RootfsManifest.IMAGE), why), null);
        }
        return new Inspected<>(ComponentStatus.missing(id, agent.status().ready() ? "not built"
                : "not built (needs the agent, which is " + agent.status().state().wireName() + ")"), null);
    }

    /** Only a ready component hands out its artifact. */
    private static <T> Inspected<T> readyOnly(ComponentStatus status, T artifact) {
        return new Inspected<>(status, status.ready() ? artifact : null);
    }

    private static ComponentStatus checked(String id, String version, String sha256, Path artifact, Path dir,
            ComponentInfo info, boolean full, Progress progress) {
        Optional<String> problem;
        if (full) {
            problem = Optional.empty();
            for (InstalledFile file : info.files()) {
                String what = "verifying " + dir.resolve(file.name());
                problem = file.fullProblem(dir, bytes -> progress.update(what, bytes, file.size()));
                if (problem.isPresent()) {
                    break;
                }
            }
        } else {
            problem = info.problem(dir, false);
        }
        return problem.map(p -> new ComponentStatus(id, ComponentState.CORRUPT, version, sha256, artifact, p))
                .orElseGet(() -> new ComponentStatus(id, ComponentState.READY, version, sha256, artifact, null));
    }

    /**
     * The safety rule: a capability is true only when its proof matches the lock and the
     * environment it names can boot now from exactly the proven kernel, agent and image.
     */
    static Map<Capability, Boolean> flags(RuntimeLock lock, Map<String, CapabilityProof> proofs,
            List<EnvironmentState> states) {
        Map<Capability, Boolean> flags = new EnumMap<>(Capability.class);
        for (Capability capability : Capability.values()) {
            CapabilityProof proof = proofs.get(capability.wireName());
            boolean ok = lock.matches(proof);
            if (ok) {
                InstalledEnvironment env = states.stream().filter(s -> s.name().equals(proof.environment()))
                        .map(EnvironmentState::installed).filter(java.util.Objects::nonNull).findFirst().orElse(null);
                ok = env != null
                        && env.kernelSha256().equals(proof.artifacts().get(RuntimeLock.KERNEL))
                        && env.agentSha256().equals(proof.artifacts().get(RuntimeLock.AGENT))
                        && env.imageSha256().equals(proof.artifacts().get(RuntimeLock.rootfsId(env.name())));
            }
            flags.put(capability, ok);
        }
        return flags;
    }
}
