package dev.pyro;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The materialised guest runtime: each component and the proven capabilities.
 *
 * @param platform e.g. {@code "linux-x86_64"}
 * @param lockFile the runtime lock ({@code runtime.lock.json})
 * @param components kernel, agent and each environment image
 * @param capabilities what has been proven most recently, for whichever environment (each
 *     environment's own flags are in {@link EnvironmentInfo#capabilities()})
 * @param environments each catalog environment: installed or not, source (built or pulled),
 *     digest, size and its own capability flags
 */
public record RuntimeStatus(String platform, Path lockFile, List<Component> components, Capabilities capabilities,
        List<EnvironmentInfo> environments) {

    public RuntimeStatus {
        components = List.copyOf(components);
        environments = List.copyOf(environments);
    }

    /** A status without per-environment details. */
    public RuntimeStatus(String platform, Path lockFile, List<Component> components, Capabilities capabilities) {
        this(platform, lockFile, components, capabilities, List.of());
    }

    /** Component states. */
    public enum State {
        /** Built (or pulled), present and matching the lock. */
        READY,
        /** Not built yet. */
        MISSING,
        /** Built from inputs that have changed since: the next build replaces it. */
        STALE,
        /** Present but its content does not match the recorded sha256 or size. */
        CORRUPT;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One runtime component.
     *
     * @param name {@code "kernel"}, {@code "agent"} or {@code "rootfs:<environment>"}
     * @param version the component's version (kernel release, agent version, environment version)
     * @param sha256 sha256 of the main artifact, when present
     * @param path the main artifact, when present
     * @param state its state
     * @param detail one line on what the state means and what to run, when not ready
     */
    public record Component(String name, String version, Optional<String> sha256, Optional<Path> path,
            State state, Optional<String> detail) {
    }

    /**
     * Whether the runtime can run something now: at least one environment is installed and no
     * component is corrupt. (Environments not installed yet are built or pulled on first use;
     * a stale one is rebuilt then.) Without per-environment details: every component is ready.
     */
    public boolean ready() {
        if (environments.isEmpty()) {
            return components.stream().allMatch(c -> c.state() == State.READY);
        }
        return environments.stream().anyMatch(EnvironmentInfo::installed)
                && components.stream().noneMatch(c -> c.state() == State.CORRUPT);
    }
}
