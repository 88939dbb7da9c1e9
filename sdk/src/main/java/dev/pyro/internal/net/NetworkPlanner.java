package dev.pyro.internal.net;

import dev.pyro.NetworkRequest;
import dev.pyro.PyroException;
import dev.pyro.internal.host.Exec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Turns a {@link NetworkRequest} into a {@link NetworkPlan}: picks the back end, checks that it
 * can work here, and gives the VM a subnet no other VM of this host uses.
 */
public final class NetworkPlanner {
    private static final Object IN_PROCESS = new Object();

    private NetworkPlanner() {
    }

    /** The back end {@code auto} stands for: the one that needs no privileges. */
    public static Backend backend(NetworkRequest request) {
        return request.backend().equals("tap") ? Backend.TAP : Backend.USER;
    }

    /**
     * Checks, before anything is created, that the requested back end can work here.
     *
     * @throws PyroException HOST_SETUP naming the fix (or the back end that works instead)
     */
    public static void checkUsable(NetworkRequest request) {
        if (!request.enabled()) {
            return;
        }
        if (backend(request) == Backend.TAP) {
            TapNetwork.unavailable().ifPresent(why -> {
                throw new PyroException(PyroException.Kind.HOST_SETUP, why);
            });
        } else if (HostNetwork.tool("passt").isEmpty()) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the user network back end needs passt, which is"
                    + " not installed; install it with: apt-get install passt");
        }
    }

    /**
     * Fails when a published host port cannot be bound on 127.0.0.1 (taken, or privileged
     * without the privilege): checked before anything is created, and again before each boot.
     */
    public static void checkPublishedPorts(List<dev.pyro.PortMapping> publish) {
        for (dev.pyro.PortMapping p : publish) {
            try (java.net.ServerSocket s = new java.net.ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName(dev.pyro.PortMapping.HOST_ADDRESS),
                        p.hostPort()));
            } catch (IOException e) {
                throw new PyroException(PyroException.Kind.INVALID_ARGUMENT, "cannot publish host port " + p.hostPort()
                        + " on " + dev.pyro.PortMapping.HOST_ADDRESS + ": " + e.getMessage()
                        + " (another program uses it?); choose another HOST_PORT in --publish HOST_PORT:"
                        + p.guestPort());
            }
        }
    }

    /**
     * The plan for VM {@code vmId}, or empty when the request has no network.
     *
     * @param taken slots other VMs hold (from the state store); the host's own addresses in the
     *     pool are added for the tap back end
     */
    public static Optional<NetworkPlan> plan(NetworkRequest request, String vmId, Set<Integer> taken) {
        if (!request.enabled()) {
            return Optional.empty();
        }
        Backend backend = backend(request);
        Set<Integer> used = new HashSet<>(taken);
        Optional<String> tap = Optional.empty();
        boolean nameserver;
        if (backend == Backend.TAP) {
            used.addAll(hostSlots());
            tap = Optional.of(TapNetwork.deviceName(vmId));
            nameserver = HostNetwork.resolver().isPresent(); // nftables forwards IPv4 DNS only
        } else {
            nameserver = hasNameserver(); // passt forwards to whichever the host has
        }
        int slot = AddressPool.pick(vmId, used);
        // Both back ends: the guest asks its gateway, and exactly DNS goes on to the host's
        // resolver, even one on loopback or a private address the guest cannot reach itself.
        Optional<String> dns = nameserver ? Optional.of(AddressPool.gateway(slot)) : Optional.empty();
        return Optional.of(new NetworkPlan(request.policy(), backend, slot, dns, request.allowHostPorts(),
                request.publish(), tap, request.allowNet().stream().map(r -> Ipv4Range.parse(r).orElseThrow()).toList()));
    }

    /**
     * Runs {@code action} holding the host-wide address lock {@code lockFile}: picking a slot and
     * recording it must not interleave with another process doing the same.
     */
    public static <T> T withAddressLock(Path lockFile, Supplier<T> action) {
        synchronized (IN_PROCESS) {
            try {
                Files.createDirectories(lockFile.getParent());
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        FileLock lock = channel.lock()) {
                    return action.get();
                }
            } catch (IOException e) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot lock " + lockFile + ": " + e.getMessage()
                        + "; check PYRO_HOME's permissions", e);
            }
        }
    }

    private static boolean hasNameserver() {
        try {
            return Files.readAllLines(Path.of("/etc/resolv.conf")).stream()
                    .anyMatch(l -> l.trim().startsWith("nameserver"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Slots whose addresses are configured on this host's interfaces (TAP devices of running VMs). */
    static Set<Integer> hostSlots() {
        Set<Integer> slots = new HashSet<>();
        Optional<Path> ip = HostNetwork.tool("ip");
        if (ip.isEmpty()) {
            return slots;
        }
        Exec.Result r = Exec.capture(List.of(ip.get().toString(), "-4", "-o", "addr", "show"), null, Map.of(),
                Duration.ofSeconds(10));
        for (String line : r.stdout().split("\n")) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("inet")) {
                    int slot = AddressPool.slotOf(f[i + 1]);
                    if (slot >= 0) {
                        slots.add(slot);
                    }
                }
            }
        }
        return slots;
    }
}
