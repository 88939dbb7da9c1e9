package dev.pyro.internal.run;

import dev.pyro.Capabilities;
import dev.pyro.RuntimeStatus;
import dev.pyro.internal.runtime.Capability;
import dev.pyro.internal.runtime.ComponentState;
import dev.pyro.internal.runtime.ComponentStatus;
import dev.pyro.internal.runtime.RuntimePaths;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Maps the runtime pipeline's status onto the public {@link RuntimeStatus}. */
public final class StatusViews {
    private StatusViews() {
    }

    public static RuntimeStatus of(dev.pyro.internal.runtime.RuntimeStatus s) {
        List<RuntimeStatus.Component> components = s.components().stream().map(StatusViews::component).toList();
        return new RuntimeStatus(RuntimePaths.PLATFORM, s.lockFile(), components, capabilities(s.capabilities()),
                EnvironmentViews.infos(s));
    }

    public static Capabilities capabilities(Map<Capability, Boolean> flags) {
        return new Capabilities(
                flags.getOrDefault(Capability.VM_BOOT, false),
                flags.getOrDefault(Capability.GUEST_EXEC, false),
                flags.getOrDefault(Capability.GUEST_NETWORK, false));
    }

    static RuntimeStatus.State state(ComponentState state) {
        return switch (state) {
            case READY -> RuntimeStatus.State.READY;
            case MISSING -> RuntimeStatus.State.MISSING;
            case STALE -> RuntimeStatus.State.STALE;
            case CORRUPT -> RuntimeStatus.State.CORRUPT;
        };
    }

    private static RuntimeStatus.Component component(ComponentStatus c) {
        return new RuntimeStatus.Component(c.id(), c.version() == null ? "" : c.version(),
                Optional.ofNullable(c.sha256()), Optional.ofNullable(c.path()), state(c.state()),
                Optional.ofNullable(c.detail()));
    }
}
