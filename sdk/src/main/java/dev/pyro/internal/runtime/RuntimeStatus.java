package dev.pyro.internal.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The runtime's status: every component and the effective capability flags.
 *
 * @param runtimeDir the cache's runtime directory
 * @param lockFile runtime.lock.json
 * @param components kernel, agent, then one {@code rootfs:<env>} per known environment
 * @param capabilities each capability's effective value under the safety rule (the latest proof,
 *     whichever environment it used)
 * @param hashesVerified whether files were fully re-hashed (otherwise size and mtime were checked)
 * @param environments each known environment's state, sorted by name
 * @param environmentCapabilities each environment's own effective flags
 */
public record RuntimeStatus(Path runtimeDir, Path lockFile, List<ComponentStatus> components,
        Map<Capability, Boolean> capabilities, boolean hashesVerified, List<EnvironmentState> environments,
        Map<String, Map<Capability, Boolean>> environmentCapabilities) {

    public RuntimeStatus {
        components = List.copyOf(components);
        capabilities = Map.copyOf(capabilities);
        environments = List.copyOf(environments);
        environmentCapabilities = Map.copyOf(environmentCapabilities);
    }

    /** The component with this id. */
    public Optional<ComponentStatus> component(String id) {
        return components.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    /** The named environment's state. */
    public Optional<EnvironmentState> environment(String name) {
        return environments.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** The named environment's own capability flags (all false when it has none). */
    public Map<Capability, Boolean> capabilitiesOf(String name) {
        return environmentCapabilities.getOrDefault(name, Map.of(Capability.VM_BOOT, false, Capability.GUEST_EXEC, false,
                Capability.GUEST_NETWORK, false));
    }

    /** Whether every component is ready. */
    public boolean allReady() {
        return components.stream().allMatch(ComponentStatus::ready);
    }
}
