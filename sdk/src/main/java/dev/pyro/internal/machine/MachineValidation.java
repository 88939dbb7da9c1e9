package dev.pyro.internal.machine;

import dev.pyro.MachineRequest;
import dev.pyro.PyroException;
import dev.pyro.internal.host.HostInfo;
import dev.pyro.internal.run.RunValidation;
import dev.pyro.internal.state.MachineKind;
import java.util.List;

/** Checks a create request before anything is created, so bad input leaves nothing behind. */
final class MachineValidation {
    private MachineValidation() {
    }

    static void check(MachineRequest r, MachineKind kind, List<String> environments) {
        RunValidation.checkMachine(r.environment(), environments, r.vcpuCount(), r.memMib(), r.ttlSeconds(),
                HostInfo.memTotalBytes() >> 20);
        if (!List.of("auto", "qemu", "host_compat").contains(r.engine())) {
            throw PyroException.invalidArgument("unknown engine '" + r.engine() + "'; use one of: auto, qemu, host_compat");
        }
        if (r.engine().equals("host_compat") && !r.allowHostCompat()) {
            throw PyroException.invalidArgument("engine host_compat runs on the host without isolation;"
                    + " it needs allow_host_compat (--allow-host-compat)");
        }
        RunValidation.checkNetworkEngine(r.network(), r.engine());
        dev.pyro.internal.net.NetworkPlanner.checkPublishedPorts(r.network().publish());
        if (r.seedPath().isPresent()) {
            if (kind != MachineKind.WORKSPACE) {
                throw PyroException.invalidArgument("a seed path is for workspaces; use: pyro workspace create "
                        + r.environment() + " --seed-path " + r.seedPath().get());
            }
        }
    }
}
