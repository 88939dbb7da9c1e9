package dev.pyro;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One command to run in a fresh, disposable VM ({@link Pyro#run}). Build with
 * {@link #builder(String, String...)}; the defaults match the CLI's and the MCP server's.
 *
 * @param environment environment name, e.g. {@code "debian:12-base"}
 * @param command the command as an argument vector, run directly (no shell) with
 *     {@code command.get(0)} looked up in the guest's PATH; wrap in {@code sh -c} for shell syntax
 * @param vcpuCount virtual CPUs (default 1)
 * @param memMib guest memory in MiB (default 1024)
 * @param timeoutSeconds the command is killed (with its whole process tree) after this long and
 *     the result says {@code timedOut} with exit code 124 (default 30)
 * @param ttlSeconds the VM's hard lifetime, enforced by the host and by the guest itself (default 600)
 * @param allowHostCompat allow running on the host, without isolation, when guest execution is
 *     unavailable here (or when {@code engine} is {@code "host_compat"}); default false
 * @param engine {@code "auto"} (default), {@code "qemu"}, {@code "firecracker"} or {@code "host_compat"}
 * @param outputLimitBytes how many bytes of each of stdout and stderr the result keeps (the
 *     rest is still streamed to an {@link OutputListener}); default 64 MiB
 * @param network the guest's network (default {@link NetworkRequest#OFF}: no network device)
 */
public record RunRequest(
        String environment,
        List<String> command,
        int vcpuCount,
        int memMib,
        int timeoutSeconds,
        int ttlSeconds,
        boolean allowHostCompat,
        String engine,
        long outputLimitBytes,
        NetworkRequest network) {

    public static final int DEFAULT_VCPU_COUNT = 1;
    public static final int DEFAULT_MEM_MIB = 1024;
    public static final int DEFAULT_TIMEOUT_SECONDS = 30;
    public static final int DEFAULT_TTL_SECONDS = 600;
    public static final long DEFAULT_OUTPUT_LIMIT_BYTES = 64L << 20;

    public RunRequest {
        Objects.requireNonNull(environment, "environment");
        command = List.copyOf(Objects.requireNonNull(command, "command"));
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(network, "network");
    }

    /** A request without a network. */
    public RunRequest(String environment, List<String> command, int vcpuCount, int memMib, int timeoutSeconds,
            int ttlSeconds, boolean allowHostCompat, String engine, long outputLimitBytes) {
        this(environment, command, vcpuCount, memMib, timeoutSeconds, ttlSeconds, allowHostCompat, engine,
                outputLimitBytes, NetworkRequest.OFF);
    }

    public static Builder builder(String environment, String... command) {
        return new Builder(environment, Arrays.asList(command));
    }

    public static Builder builder(String environment, List<String> command) {
        return new Builder(environment, command);
    }

    /** Fluent builder; every setter returns this builder. */
    public static final class Builder {
        private final String environment;
        private final List<String> command;
        private int vcpuCount = DEFAULT_VCPU_COUNT;
        private int memMib = DEFAULT_MEM_MIB;
        private int timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
        private int ttlSeconds = DEFAULT_TTL_SECONDS;
        private boolean allowHostCompat;
        private String engine = "auto";
        private long outputLimitBytes = DEFAULT_OUTPUT_LIMIT_BYTES;
        private NetworkRequest network = NetworkRequest.OFF;

        private Builder(String environment, List<String> command) {
            this.environment = environment;
            this.command = command;
        }

        public Builder vcpuCount(int vcpuCount) {
            this.vcpuCount = vcpuCount;
            return this;
        }

        public Builder memMib(int memMib) {
            this.memMib = memMib;
            return this;
        }

        public Builder timeoutSeconds(int timeoutSeconds) {
            this.timeoutSeconds = timeoutSeconds;
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

        public Builder outputLimitBytes(long outputLimitBytes) {
            this.outputLimitBytes = outputLimitBytes;
            return this;
        }

        /** The guest's network; {@link NetworkRequest#OFF} (the default) gives it no network device. */
        public Builder network(NetworkRequest network) {
            this.network = network;
            return this;
        }

        public RunRequest build() {
            return new RunRequest(environment, command, vcpuCount, memMib, timeoutSeconds, ttlSeconds,
                    allowHostCompat, engine, outputLimitBytes, network);
        }
    }
}
