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
 * @param kernel the installed kernel, or null
 * @param agent the installed agent, or null
 * @param environments installed images by environment name
 * @param capabilities proofs by capability wire name
 */
public record RuntimeLock(
        int schemaVersion,
        String platform,
        String updatedAt,
        Kernel kernel,
        Agent agent,
        Map<String, Environment> environments,
        Map<String, CapabilityProof> capabilities) {

    public static final int SCHEMA_VERSION = 1;

    /** Component id of the kernel in capability proofs. */
    public static final String KERNEL = "kernel";
    /** Component id of the agent in capability proofs. */
    public static final String AGENT = "agent";

    /** Component id of an environment image in capability proofs. */
    public static String rootfsId(String environment) {
        return "rootfs:" + environment;
    }

    public RuntimeLock {
        environments = environments == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(environments));
        capabilities = capabilities == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(capabilities));
    }

    /**
     * The installed kernel.
     *
     * @param placeholder true for an entry that is not a real built artifact (never written by
     *     pyro's builders; any such entry keeps every capability false)
     */
    public record Kernel(String key, String path, String release, String sourcePackage, String sourceVersion,
            String sourceSha256, String fragmentSha256, String configSha256, String bzimageSha256,
            String vmlinuxSha256, boolean placeholder) {
    }

    /** The installed agent. */
    public record Agent(String key, String path, String sourceSha256, String compiler, String binarySha256,
            boolean placeholder) {
    }

    /** One installed environment image. */
    public record Environment(String key, String path, String version, String baseKey, String packagesSha256,
            int packageCount, String manifestPath, String manifestSha256, String agentSha256, String imageSha256,
            long imageSize, boolean placeholder) {
    }

    /** A lock with nothing installed and nothing proven. */
    public static RuntimeLock empty() {
        return new RuntimeLock(SCHEMA_VERSION, RuntimePaths.PLATFORM, null, null, null, Map.of(), Map.of());
    }

    /** The SHA-256 identifying a component's current artifact, or null when it is not installed. */
    public String artifactSha256(String componentId) {
        if (componentId.equals(KERNEL)) {
            return kernel == null || kernel.placeholder() ? null : kernel.bzimageSha256();
        }
        if (componentId.equals(AGENT)) {
            return agent == null || agent.placeholder() ? null : agent.binarySha256();
        }
        if (componentId.startsWith("rootfs:")) {
            Environment env = environments.get(componentId.substring("rootfs:".length()));
            return env == null || env.placeholder() ? null : env.imageSha256();
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
            String current = artifactSha256(artifact.getKey());
            if (!Hashes.isSha256(current) || !current.equals(artifact.getValue())) {
                return false;
            }
        }
        return true;
    }

    RuntimeLock withKernel(Kernel newKernel) {
        return new RuntimeLock(schemaVersion, platform, updatedAt, newKernel, agent, environments, capabilities);
    }

    RuntimeLock withAgent(Agent newAgent) {
        return new RuntimeLock(schemaVersion, platform, updatedAt, kernel, newAgent, environments, capabilities);
    }

    RuntimeLock withEnvironment(String name, Environment env) {
        Map<String, Environment> envs = new LinkedHashMap<>(environments);
        envs.put(name, env);
        return new RuntimeLock(schemaVersion, platform, updatedAt, kernel, agent, envs, capabilities);
    }

    RuntimeLock withCapability(Capability capability, CapabilityProof proof) {
        Map<String, CapabilityProof> caps = new LinkedHashMap<>(capabilities);
        caps.put(capability.wireName(), proof);
        return new RuntimeLock(schemaVersion, platform, updatedAt, kernel, agent, environments, caps);
    }

    /**
     * The lock as it must be written: every capability whose artifacts changed is withdrawn, so
     * the file itself never says true for artifacts that were not proven.
     */
    RuntimeLock normalised(String now) {
        Map<String, CapabilityProof> caps = new LinkedHashMap<>();
        for (Capability capability : Capability.values()) {
            CapabilityProof proof = capabilities.get(capability.wireName());
            if (proof == null) {
                proof = new CapabilityProof(false, null, null, Map.of());
            } else if (proof.proven() && !matches(proof)) {
                proof = proof.withdrawn();
            }
            caps.put(capability.wireName(), proof);
        }
        return new RuntimeLock(SCHEMA_VERSION, RuntimePaths.PLATFORM, now, kernel, agent, environments, caps);
    }
}
