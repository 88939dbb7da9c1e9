package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Works out each component's state from the recipes, the installed directories and the lock,
 * and applies the safety rule to the capability proofs. Reads only; builds nothing.
 *
 * <p>The kernel is found by its key (recipes + override). The agent is judged by its source
 * hash against the lock's agent entry (not by compiler, so the boot path needs no gcc). An
 * image is found by its key, which includes the current agent binary.
 */
final class RuntimeInspector {
    private final Recipes recipes;
    private final KernelBuilder kernels;
    private final AgentBuilder agents;
    private final RootfsBuilder images;
    private final RuntimeLockStore lockStore;

    RuntimeInspector(Recipes recipes, KernelBuilder kernels, AgentBuilder agents, RootfsBuilder images,
            RuntimeLockStore lockStore) {
        this.recipes = recipes;
        this.kernels = kernels;
        this.agents = agents;
        this.images = images;
        this.lockStore = lockStore;
    }

    /** A component's state plus the artifact behind it (when there is one). */
    record Inspected<T>(ComponentStatus status, T artifact) {
    }

    RuntimeStatus status(boolean full, Progress progress) {
        RuntimeLock lock = lockStore.read();
        List<ComponentStatus> components = new ArrayList<>();
        components.add(kernel(lock, full, progress).status());
        Inspected<AgentArtifact> agent = agent(lock, full, progress);
        components.add(agent.status());
        for (EnvironmentRecipe recipe : recipes.environments()) {
            components.add(rootfs(recipe, lock, agent, full, progress).status());
        }
        return new RuntimeStatus(lockStore.file().getParent(), lockStore.file(), components,
                capabilities(lock, components), full);
    }

    /** The installed artifacts for {@code recipe}, checked cheaply, or RUNTIME_NOT_READY. */
    ResolvedRuntime resolve(EnvironmentRecipe recipe, Progress progress) {
        RuntimeLock lock = lockStore.read();
        Inspected<KernelArtifact> kernel = kernel(lock, false, progress);
        Inspected<AgentArtifact> agent = agent(lock, false, progress);
        Inspected<RootfsArtifact> rootfs = rootfs(recipe, lock, agent, false, progress);
        for (ComponentStatus status : List.of(kernel.status(), agent.status(), rootfs.status())) {
            if (!status.ready()) {
                throw new PyroException(PyroException.Kind.RUNTIME_NOT_READY, "the guest runtime for " + recipe.name()
                        + " is not ready: " + status.id() + " is " + status.state().wireName()
                        + (status.detail() == null ? "" : " (" + status.detail() + ")")
                        + "; run: pyro runtime materialize");
            }
        }
        KernelArtifact k = kernel.artifact();
        RootfsArtifact r = rootfs.artifact();
        return new ResolvedRuntime(recipe.name(), k.bzImage(), k.vmlinux(), r.image(), k.release(),
                k.info().file(KernelInfo.BZIMAGE).sha256(), r.manifest().agentSha256(), r.manifest().imageSha256());
    }

    /** The ready artifacts for an environment now (any may be null when not ready). */
    record Current(KernelArtifact kernel, AgentArtifact agent, RootfsArtifact rootfs) {
        boolean matches(ResolvedRuntime booted) {
            return kernel != null && agent != null && rootfs != null
                    && kernel.info().file(KernelInfo.BZIMAGE).sha256().equals(booted.kernelSha256())
                    && agent.info().binarySha256().equals(booted.agentSha256())
                    && rootfs.manifest().imageSha256().equals(booted.imageSha256());
        }
    }

    Current current(EnvironmentRecipe recipe) {
        RuntimeLock lock = lockStore.read();
        Progress quiet = new Progress(dev.pyro.ProgressListener.NONE, "runtime");
        Inspected<KernelArtifact> kernel = kernel(lock, false, quiet);
        Inspected<AgentArtifact> agent = agent(lock, false, quiet);
        Inspected<RootfsArtifact> rootfs = rootfs(recipe, lock, agent, false, quiet);
        return new Current(kernel.artifact(), agent.artifact(), rootfs.artifact());
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
            String version = k.release() + " (" + k.info().source().packageName() + " " + k.info().source().version() + ")";
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
        if (entry == null) {
            return new Inspected<>(ComponentStatus.missing(id, "not built"), null);
        }
        Optional<AgentArtifact> installed = agents.installed(entry.key());
        if (installed.isEmpty()) {
            return new Inspected<>(ComponentStatus.missing(id, entry.path() + " is gone"), null);
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
        if (entry != null && Files.isDirectory(Path.of(entry.path()))) {
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
     * The safety rule: a capability is true only when its proof matches the lock and every
     * artifact the proof names is ready now with exactly the proven hash.
     */
    static Map<Capability, Boolean> capabilities(RuntimeLock lock, List<ComponentStatus> components) {
        Map<Capability, Boolean> flags = new EnumMap<>(Capability.class);
        for (Capability capability : Capability.values()) {
            CapabilityProof proof = lock.capabilities().get(capability.wireName());
            boolean ok = lock.matches(proof);
            if (ok) {
                for (Map.Entry<String, String> artifact : proof.artifacts().entrySet()) {
                    ok &= components.stream().anyMatch(c -> c.id().equals(artifact.getKey()) && c.ready()
                            && artifact.getValue().equals(c.sha256()));
                }
            }
            flags.put(capability, ok);
        }
        return flags;
    }
}
