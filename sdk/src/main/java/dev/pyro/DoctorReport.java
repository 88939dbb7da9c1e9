package dev.pyro;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Pyro#doctor()} found on this host.
 *
 * @param platform e.g. {@code "linux-x86_64"}
 * @param hostKernel the host kernel release
 * @param qemu the QEMU binary
 * @param firecracker the Firecracker binary (needs working KVM)
 * @param kvm whether /dev/kvm exists and really works
 * @param runtime the materialised runtime and its capabilities
 * @param home PYRO_HOME (state)
 * @param cacheDir PYRO_CACHE_DIR (built and downloaded artifacts)
 * @param issues every problem found, each with the command that fixes it
 * @param networking what guest networking can use here
 */
public record DoctorReport(
        String platform,
        String hostKernel,
        Tool qemu,
        Tool firecracker,
        Kvm kvm,
        RuntimeStatus runtime,
        Path home,
        Path cacheDir,
        List<Issue> issues,
        Networking networking) {

    /**
     * A host binary.
     *
     * @param found whether it was found
     * @param path where
     * @param version what it says its version is
     */
    public record Tool(boolean found, Optional<Path> path, Optional<String> version) {
    }

    /**
     * KVM on this host.
     *
     * @param exists /dev/kvm exists
     * @param readable it can be opened for reading
     * @param writable it can be opened for writing
     * @param usable a real boot with KVM succeeded; empty when it could not be probed (no kernel yet)
     * @param detail why it is not usable, or how it was proven
     */
    public record Kvm(boolean exists, boolean readable, boolean writable, Optional<Boolean> usable, String detail) {
    }

    /**
     * Guest networking on this host (docs/networking.md).
     *
     * @param tun /dev/net/tun exists (the tap back end's TAP devices)
     * @param ipForward IPv4 forwarding is on (the tap back end turns it on); empty if unreadable
     * @param passt the user back end's passt
     * @param nft nftables' nft (the tap back end's NAT and filter rules)
     * @param iptables iptables (shown for reference; the tap back end uses nft)
     * @param netAdmin this process holds CAP_NET_ADMIN (the tap back end needs it)
     * @param userBackend whether the user back end can work here (passt found)
     * @param tapBackend whether the tap back end can work here; empty when it can, else why not
     */
    public record Networking(boolean tun, Optional<Boolean> ipForward, Tool passt, Tool nft, Tool iptables,
            boolean netAdmin, boolean userBackend, Optional<String> tapBackend) {
    }

    /** How bad an issue is. */
    public enum Severity {
        /** {@code pyro run} cannot boot a VM until this is fixed. */
        ERROR,
        /** Things work, but slower or with less than they could. */
        WARNING;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A problem and the command that fixes it.
     *
     * @param severity whether it blocks VMs
     * @param problem what is wrong
     * @param fix what to run or do
     */
    public record Issue(Severity severity, String problem, String fix) {
    }

    /** True when nothing stops {@code pyro run} from booting a VM here (warnings allowed). */
    public boolean ok() {
        return issues.stream().noneMatch(i -> i.severity() == Severity.ERROR);
    }
}
