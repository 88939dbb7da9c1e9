package dev.pyro.internal.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code runtime.lock.json}: the components installed now, with versions and hashes, and the
 * capability proofs. It describes the cache it sits in; it is not a tracked file.
 *
 * @param schemaVersion format version ({@value #SCHEMA_VERSION})
 * @param platform always {@code linux-x86_64} so far
 * @param updatedAt ISO-8601 time of the last change
 * @param kernel the locally built kernel, or null
 * @param agent the locally built agent, or null
 * @param environments the installed image of each environment (built or pulled), by name
 * @param capabilities the latest proof of each capability, whatever environment it used
 * @param environmentCapabilities the proofs of each environment: environment name to
 *     capability wire name to proof
 */
public record RuntimeLock(
        int schemaVersion,
        String platform,
        String updatedAt,
        Kernel kernel,
        Agent agent,
        Map<String, Environment> environments,
        Map<String, CapabilityProof> capabilities,
        Map<String, Map<String, CapabilityProof>> environmentCapabilities) {

    /** 2: environments may be pulled (with their own kernel) and carry package versions and their own proofs. */
    public static final int SCHEMA_VERSION = 2;

    /** Component id of the kernel in capability proofs (for a pulled environment: its own kernel). */
    public static final String KERNEL = "kernel";
    /** Component id of the agent in capability proofs (for a pulled environment: the agent in its image). */
    public static final String AGENT = "agent";
    /** {@link Environment#source()} of an image built here. */
    public static final String BUILT = "built";
    /** {@link Environment#source()} of an image pulled from a registry. */
    public static final String PULLED = "pulled";

    /** Component id of an environment image in capability proofs. */
    public static String rootfsId(String environment) {
        return "rootfs:" + environment;
    }

    public RuntimeLock {
        environments = environments == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(environments));
        capabilities = capabilities == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(capabilities));
        Map<String, Map<String, CapabilityProof>> perEnv = new TreeMap<>();
        if (environmentCapabilities != null) {
            environmentCapabilities.forEach((env, proofs) -> perEnv.put(env,
                    proofs == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(proofs))));
        }
        environmentCapabilities = java.util.Collections.unmodifiableMap(perEnv);
    }

    /**
     * The installed kernel.
     *
     * @param sourceVersion the version of the source .deb it was built from (what was used)
     * @param sourceSha256 the SHA-256 of that .deb
     * @param placeholder true for an entry that is not a real built artifact (never written by
     *     pyro's builders; any such entry keeps every capability false)
     * @param pinnedVersion the version pinned in kernel/source.json at build time
     * @param pinnedSha256 the SHA-256 of the pinned .deb
     * @param sourceChoice {@code pin}, {@code fallback} (the pin was no longer served, so the newest
     *     served version of the package was used) or {@code override} ({@code PYRO_KERNEL_SOURCE_VERSION})
     */
    public record Kernel(String key, String path, String release, String sourcePackage, String sourceVersion,
            String sourceSha256, String fragmentSha256, String configSha256, String bzimageSha256,
            String vmlinuxSha256, boolean placeholder, String pinnedVersion, String pinnedSha256,
            String sourceChoice) {
    }

    /** The installed agent. */
    public record Agent(String key, String path, String sourceSha256, String compiler, String binarySha256,
            boolean placeholder) {
    }

    /**
     * One installed environment image.
     *
     * @param key the image key (built) or the first 16 hex digits of the manifest digest (pulled)
     * @param path its directory
     * @param source {@value #BUILT} or {@value #PULLED}; absent in schema 1 files, meaning built
     * @param reference where a pulled image came from ({@code registry/repository:tag}), else null
     * @param digest the OCI manifest digest of a pulled image, else null
     * @param kernelRelease the release of a pulled environment's own kernel, else null
     * @param kernelSha256 the sha256 of a pulled environment's own bzImage, else null (built
     *     environments boot the lock's kernel)
     * @param packages every package in the image with its exact version
     */
    public record Environment(String key, String path, String version, String baseKey, String packagesSha256,
            int packageCount, String manifestPath, String manifestSha256, String agentSha256, String imageSha256,
            long imageSize, boolean placeholder, String source, String reference, String digest, String kernelRelease,
            String kernelSha256, Map<String, String> packages) {
        public Environment {
            packages = packages == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(packages));
        }

        /** A built image's entry (the fields of schema 1). */
        public Environment(String key, String path, String version, String baseKey, String packagesSha256,
                int packageCount, String manifestPath, String manifestSha256, String agentSha256, String imageSha256,
                long imageSize, boolean placeholder) {
            this(key, path, version, baseKey, packagesSha256, packageCount, manifestPath, manifestSha256, agentSha256,
                    imageSha256, imageSize, placeholder, BUILT, null, null, null, null, Map.of());
        }

        public boolean pulled() {
            return PULLED.equals(source);
        }
    }

    /** A lock with nothing installed and nothing proven. */
    public static RuntimeLock empty() {
        return new RuntimeLock(SCHEMA_VERSION, RuntimePaths.PLATFORM, null, null, null, Map.of(), Map.of(), Map.of());
    }

    /**
     * The SHA-256 identifying a component's current artifact for {@code environment}, or null
     * when it is not installed. A pulled environment brings its own kernel and agent (inside
     * its image); a built one uses the lock's kernel and agent.
     */
    public String artifactSha256(String environment, String componentId) {
        Environment env = environment == null ? null : environments.get(environment);
        boolean pulled = env != null && env.pulled();
        if (componentId.equals(KERNEL)) {
            if (pulled) {
                return env.placeholder() ? null : env.kernelSha256();
            }
            return kernel == null || kernel.placeholder() ? null : kernel.bzimageSha256();
        }
        if (componentId.equals(AGENT)) {
            if (pulled) {
                return env.placeholder() ? null : env.agentSha256();
            }
            return agent == null || agent.placeholder() ? null : agent.binarySha256();
        }
        if (componentId.startsWith("rootfs:")) {
            Environment image = environments.get(componentId.substring("rootfs:".length()));
            return image == null || image.placeholder() ? null : image.imageSha256();
        }
        return null;
    }

    /** Whether the proof names a kernel, an agent and an image, and all still match this lock. */
    public boolean matches(CapabilityProof proof) {
        if (proof == null || !proof.proven() || proof.environment() == null) {
            return false;
        }
        Map<String, String> artifacts = proof.artifacts();
        if (!artifacts.containsKey(KERNEL) || !artifacts.containsKey(AGENT)
                || !artifacts.containsKey(rootfsId(proof.environment()))) {
            return false;
        }
        for (Map.Entry<String, String> artifact : artifacts.entrySet()) {
            String current = artifactSha256(proof.environment(), artifact.getKey());
            if (!Hashes.isSha256(current) || !current.equals(artifact.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** The proofs recorded for {@code environment} (capability wire name to proof). */
    public Map<String, CapabilityProof> proofsOf(String environment) {
        return environmentCapabilities.getOrDefault(environment, Map.of());
    }

    RuntimeLock withKernel(Kernel newKernel) {
        return new RuntimeLock(schemaVersion, platform, updatedAt, newKernel, agent, environments, capabilities,
                environmentCapabilities);
    }

    RuntimeLock withAgent(Agent newAgent) {
        return new RuntimeLock(schemaVersion, platform, updatedAt, kernel, newAgent, environments, capabilities,
                environmentCapabilities);
    }

    RuntimeLock withEnvironment(String name, Environment env) {
        Map<String, Environment> envs = new LinkedHashMap<>(environments);
        envs.put(name, env);
        return new RuntimeLock(schemaVersion, platform, updatedAt, kernel, agent, envs, capabilities,
                environmentCapabilities);
    }

    /** The lock without {@code name}'s image (after its directory was removed). */
    RuntimeLock withoutEnvironment(String name) {
        Map<String, Environment> envs = new LinkedHashMap<>(environments);
        envs.remove(name);
        return new RuntimeLock(schemaVersion, platform, updatedAt, kernel, agent, envs, capabilities,
                environmentCapabilities);
    }

    /** Records {@code proof} as the latest proof of {@code capability} and as its environment's. */
    RuntimeLock withCapability(Capability capability, CapabilityProof proof) {
        Map<String, CapabilityProof> caps = new LinkedHashMap<>(capabilities);
        caps.put(capability.wireName(), proof);
        Map<String, Map<String, CapabilityProof>> perEnv = new LinkedHashMap<>(environmentCapabilities);
        if (proof.environment() != null) {
            Map<String, CapabilityProof> own = new LinkedHashMap<>(proofsOf(proof.environment()));
            own.put(capability.wireName(), proof);
            perEnv.put(proof.environment(), own);
        }
        return new RuntimeLock(schemaVersion, platform, updatedAt, kernel, agent, environments, caps, perEnv);
    }

    /**
     * The lock as it must be written: every capability whose artifacts changed is withdrawn, so
     * the file itself never says true for artifacts that were not proven.
     */
    RuntimeLock normalised(String now) {
        Map<String, CapabilityProof> caps = new LinkedHashMap<>();
        for (Capability capability : Capability.values()) {
            caps.put(capability.wireName(), checked(capabilities.get(capability.wireName()), null));
        }
        Map<String, Map<String, CapabilityProof>> perEnv = new LinkedHashMap<>();
        environmentCapabilities.forEach((env, proofs) -> {
            Map<String, CapabilityProof> own = new LinkedHashMap<>();
            for (Capability capability : Capability.values()) {
                CapabilityProof proof = proofs.get(capability.wireName());
                if (proof != null) {
                    own.put(capability.wireName(), checked(proof, env));
                }
            }
            perEnv.put(env, own);
        });
        return new RuntimeLock(SCHEMA_VERSION, RuntimePaths.PLATFORM, now, kernel, agent, environments, caps, perEnv);
    }

    private CapabilityProof checked(CapabilityProof proof, String environment) {
        if (proof == null) {
            return new CapabilityProof(false, null, null, Map.of());
        }
        boolean ownEnvironment = environment == null || environment.equals(proof.environment());
        return proof.proven() && !(ownEnvironment && matches(proof)) ? proof.withdrawn() : proof;
    }
}
