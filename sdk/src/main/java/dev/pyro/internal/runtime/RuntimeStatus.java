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
 * @param capabilities each capability's effective value under the safety rule
 * @param hashesVerified whether files were fully re-hashed (otherwise size and mtime were checked)
 */
public record RuntimeStatus(Path runtimeDir, Path lockFile, List<ComponentStatus> components,
        Map<Capability, Boolean> capabilities, boolean hashesVerified) {

    public RuntimeStatus {
        components = List.copyOf(components);
        capabilities = Map.copyOf(capabilities);
    }

    /** The component with this id. */
    public Optional<ComponentStatus> component(String id) {
        return components.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    /** Whether every component is ready. */
    public boolean allReady() {
        return components.stream().allMatch(ComponentStatus::ready);
    }
}
