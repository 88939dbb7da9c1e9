package dev.pyro;

import java.time.Instant;
import java.util.Optional;

/**
 * A VM or a workspace's VM as pyro records it.
 *
 * @param id short id
 * @param environment its environment
 * @param state lifecycle state (reconciled with the VMM process: a VM whose VMM died is never STARTED)
 * @param engine {@code "qemu"} or {@code "host_compat"}
 * @param accel how its CPU is virtualised
 * @param executionMode where commands run
 * @param pid the VMM's process id while it runs
 * @param vcpuCount vCPUs
 * @param memMib memory
 * @param ttlSeconds lifetime
 * @param createdAt when it was created
 * @param expiresAt when {@code reap} deletes it
 * @param lastError why it failed, if it did
 * @param network its network ({@link NetworkInfo#OFF}: no network device)
 */
public record VmInfo(
        String id,
        String environment,
        MachineState state,
        String engine,
        Accel accel,
        ExecutionMode executionMode,
        Optional<Long> pid,
        int vcpuCount,
        int memMib,
        int ttlSeconds,
        Instant createdAt,
        Instant expiresAt,
        Optional<String> lastError,
        NetworkInfo network) {

    /** A VM without a network. */
    public VmInfo(String id, String environment, MachineState state, String engine, Accel accel,
            ExecutionMode executionMode, Optional<Long> pid, int vcpuCount, int memMib, int ttlSeconds,
            Instant createdAt, Instant expiresAt, Optional<String> lastError) {
        this(id, environment, state, engine, accel, executionMode, pid, vcpuCount, memMib, ttlSeconds, createdAt,
                expiresAt, lastError, NetworkInfo.OFF);
    }
}
