package dev.pyro;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What to create: a VM ({@link Pyro#createVm}) or a workspace ({@link Pyro#createWorkspace}).
 *
 * @param environment environment name
 * @param seedPath workspaces only: a host directory or a .tar, .tar.gz or .tgz archive whose
 *     content becomes {@code /workspace}; empty for an empty workspace
 * @param vcpuCount vCPUs (default 1)
 * @param memMib memory in MiB (default 1024)
 * @param ttlSeconds lifetime: after this long it is reaped (default 600)
 * @param allowHostCompat run on the host, without isolation, when guest execution is unavailable
 * @param engine {@code "auto"} (default), {@code "qemu"}, or {@code "host_compat"} (a host
 *     directory instead of a VM; needs {@code allowHostCompat})
 * @param network the guest's network (default {@link NetworkRequest#OFF}: no network device)
 */
public record MachineRequest(String environment, Optional<Path> seedPath, int vcpuCount, int memMib, int ttlSeconds,
        boolean allowHostCompat, String engine, NetworkRequest network) {

    public MachineRequest {
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(seedPath, "seedPath");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(network, "network");
    }

    public static Builder builder(String environment) {
        return new Builder(environment);
    }

    /** Fluent builder with the CLI's and MCP server's defaults. */
    public static final class Builder {
        private final String environment;
        private Path seedPath;
        private int vcpuCount = RunRequest.DEFAULT_VCPU_COUNT;
        private int memMib = RunRequest.DEFAULT_MEM_MIB;
        private int ttlSeconds = RunRequest.DEFAULT_TTL_SECONDS;
        private boolean allowHostCompat;
        private String engine = "auto";
        private NetworkRequest network = NetworkRequest.OFF;

        private Builder(String environment) {
            this.environment = environment;
        }

        public Builder seedPath(Path seedPath) {
            this.seedPath = seedPath;
            return this;
        }

        public Builder vcpuCount(int vcpuCount) {
            this.vcpuCount = vcpuCount;
            return this;
        }

        public Builder memMib(int memMib) {
            this.memMib = memMib;
            return this;
        }

        public Builder ttlSeconds(int ttlSeconds) {
            this.ttlSeconds = ttlSeconds;
            return this;
        }

        public Builder allowHostCompat(boolean allowHostCompat) {
            this.allowHostCompat = allowHostCompat;
            return this;
        }

        public Builder engine(String engine) {
            this.engine = engine;
            return this;
        }

        /** The guest's network; {@link NetworkRequest#OFF} (the default) gives it no network device. */
        public Builder network(NetworkRequest network) {
            this.network = network;
            return this;
        }

        public MachineRequest build() {
            return new MachineRequest(environment, Optional.ofNullable(seedPath), vcpuCount, memMib, ttlSeconds,
                    allowHostCompat, engine, network);
        }
    }
}
