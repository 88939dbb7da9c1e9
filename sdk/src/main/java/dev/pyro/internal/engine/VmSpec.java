package dev.pyro.internal.engine;

import dev.pyro.Accel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What to boot.
 *
 * @param id VM id (short, unique; used in file and socket names)
 * @param runDir directory for this VM's sockets, pid file and console log (created by the engine)
 * @param kernel the guest kernel (bzImage for QEMU, vmlinux for Firecracker)
 * @param rootImage read-only ext4 environment image, the lower layer of the guest's overlay root
 * @param writableDisk optional writable ext4 disk for the overlay's upper layer and /workspace;
 *     empty means guest memory (tmpfs) holds the upper layer
 * @param vcpuCount number of vCPUs (>= 1)
 * @param memMib guest memory in MiB
 * @param accel KVM or TCG (NONE is not valid for a VM)
 * @param ephemeral the guest powers off when the host side of its channel goes away, and the
 *     VMM dies with the JVM that started it (one-shot runs); false for VMs that outlive the CLI
 * @param ttl the guest powers itself off after this long, whatever the host does
 * @param bootTimeout how long to wait for the guest agent's HELLO_OK before giving up
 * @param agentPorts how many independent connections to the guest agent the VM offers
 *     (1..{@value #MAX_AGENT_PORTS}); each is its own virtio-serial port with its own channel
 *     namespace, held by one host client at a time. One-shot VMs need 1; a persistent VM that
 *     several processes use at once needs more ({@value #DEFAULT_PERSISTENT_AGENT_PORTS} by default)
 * @param network the guest's network; empty: no network device at all
 */
public record VmSpec(
        String id,
        Path runDir,
        Path kernel,
        Path rootImage,
        Optional<Path> writableDisk,
        int vcpuCount,
        int memMib,
        Accel accel,
        boolean ephemeral,
        Duration ttl,
        Duration bootTimeout,
        int agentPorts,
        Optional<dev.pyro.internal.net.NetworkPlan> network) {
    /** Ports the agent serves: {@code org.pyro.agent} and {@code org.pyro.agent.1} to {@code .15}. */
    public static final int MAX_AGENT_PORTS = 16;
    /** Agent ports of a persistent VM unless asked otherwise: a few concurrent CLI processes. */
    public static final int DEFAULT_PERSISTENT_AGENT_PORTS = 4;

    /** A VM with one agent port (one-shot runs). */
    public VmSpec(String id, Path runDir, Path kernel, Path rootImage, Optional<Path> writableDisk, int vcpuCount,
            int memMib, Accel accel, boolean ephemeral, Duration ttl, Duration bootTimeout) {
        this(id, runDir, kernel, rootImage, writableDisk, vcpuCount, memMib, accel, ephemeral, ttl, bootTimeout, 1);
    }

    /** A VM without a network device. */
    public VmSpec(String id, Path runDir, Path kernel, Path rootImage, Optional<Path> writableDisk, int vcpuCount,
            int memMib, Accel accel, boolean ephemeral, Duration ttl, Duration bootTimeout, int agentPorts) {
        this(id, runDir, kernel, rootImage, writableDisk, vcpuCount, memMib, accel, ephemeral, ttl, bootTimeout,
                agentPorts, Optional.empty());
    }

    public VmSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(runDir, "runDir");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(rootImage, "rootImage");
        Objects.requireNonNull(writableDisk, "writableDisk");
        Objects.requireNonNull(accel, "accel");
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(bootTimeout, "bootTimeout");
        Objects.requireNonNull(network, "network");
        if (vcpuCount < 1) {
            throw new IllegalArgumentException("vcpuCount must be >= 1");
        }
        if (accel == Accel.NONE) {
            throw new IllegalArgumentException("a VM needs KVM or TCG");
        }
        if (agentPorts < 1 || agentPorts > MAX_AGENT_PORTS) {
            throw new IllegalArgumentException("agentPorts must be 1.." + MAX_AGENT_PORTS + ", got " + agentPorts);
        }
    }

    /** The same VM with another number of agent ports. */
    public VmSpec withAgentPorts(int ports) {
        return new VmSpec(id, runDir, kernel, rootImage, writableDisk, vcpuCount, memMib, accel, ephemeral, ttl,
                bootTimeout, ports, network);
    }

    /** The same VM with this network (empty: none). */
    public VmSpec withNetwork(Optional<dev.pyro.internal.net.NetworkPlan> plan) {
        return new VmSpec(id, runDir, kernel, rootImage, writableDisk, vcpuCount, memMib, accel, ephemeral, ttl,
                bootTimeout, agentPorts, plan);
    }
}
