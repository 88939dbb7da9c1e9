package dev.pyro.cli;

import dev.pyro.MachineRequest;
import dev.pyro.RunRequest;
import picocli.CommandLine.Option;

/** The resource options `vm create` and `workspace create` share with `run`. */
final class MachineOptions {
    @Option(names = "--vcpu-count", paramLabel = "N", description = "Virtual CPUs (default: ${DEFAULT-VALUE}).")
    int vcpuCount = RunRequest.DEFAULT_VCPU_COUNT;

    @Option(names = "--mem-mib", paramLabel = "MIB", description = "Guest memory in MiB (default: ${DEFAULT-VALUE}).")
    int memMib = RunRequest.DEFAULT_MEM_MIB;

    @Option(names = "--ttl-seconds", paramLabel = "S",
            description = "Lifetime: after this long it is reaped (default: ${DEFAULT-VALUE}).")
    int ttlSeconds = RunRequest.DEFAULT_TTL_SECONDS;

    @Option(names = "--allow-host-compat",
            description = "Use a host directory, without isolation, when guest execution is unavailable here.")
    boolean allowHostCompat;

    @Option(names = "--engine", paramLabel = "NAME", hidden = true,
            description = "auto (default), qemu or host_compat.")
    String engine = "auto";

    @picocli.CommandLine.Mixin
    NetworkOptions network;

    MachineRequest.Builder request(String environment) {
        return MachineRequest.builder(environment)
                .vcpuCount(vcpuCount)
                .memMib(memMib)
                .ttlSeconds(ttlSeconds)
                .allowHostCompat(allowHostCompat)
                .engine(engine)
                .network(network.request());
    }
}
