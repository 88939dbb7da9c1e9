package dev.pyro.internal.net;

import dev.pyro.PortMapping;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The user back end: one passt process per VM (Debian's {@code passt} package), which gives the
 * guest egress through ordinary host sockets, so it needs no privileges. QEMU connects to it
 * with {@code -netdev stream} over a unix socket. docs/networking.md explains each option.
 */
public final class Passt {
    private Passt() {
    }

    /**
     * passt's argv for {@code plan}.
     *
     * @param socket the unix socket QEMU connects to
     * @param log passt's log file
     * @param uid the user:group passt keeps (it would otherwise switch to nobody, who cannot
     *     create the socket in a private run directory)
     */
    public static List<String> argv(Path passt, NetworkPlan plan, Path socket, Path log, String uid) {
        List<String> a = new ArrayList<>(List.of(passt.toString(),
                "--foreground", // the caller owns the process: it dies with the JVM or lives in its own session
                "--one-off", // and exits when its one client, QEMU, goes away: nothing outlives the VM
                "--quiet", "--log-file", log.toString(),
                "--socket", socket.toString(),
                "--runas", uid,
                "--ipv4-only",
                "--address", plan.guestAddress(), "--netmask", Integer.toString(AddressPool.PREFIX),
                "--gateway", plan.gateway(),
                // passt (of Debian 12) addresses frames for the guest to its own MAC until it has
                // seen one from the guest; with the guest's MAC as its own, a published port works
                // before the guest ever sent a frame (a guest accepts frames from its own MAC).
                "--mac-addr", plan.mac(),
                "--no-dhcp", "--no-dhcpv6", "--no-ndp", "--no-ra", // the agent configures the guest statically
                "--udp-ports", "none"));
        if (!plan.allowHost()) {
            // passt maps the gateway address to the host's loopback by default: the hole that
            // would let untrusted code reach services bound to 127.0.0.1.
            a.add("--no-map-gw");
        }
        plan.dns().ifPresent(dns -> {
            // DNS queries to the gateway go to the host's resolver, whatever it is.
            a.addAll(List.of("--dns-forward", plan.gateway()));
        });
        if (plan.publish().isEmpty()) {
            a.addAll(List.of("--tcp-ports", "none"));
        } else {
            List<String> specs = new ArrayList<>();
            for (PortMapping p : plan.publish()) {
                specs.add(PortMapping.HOST_ADDRESS + "/" + p.hostPort() + ":" + p.guestPort());
            }
            for (String spec : specs) {
                a.addAll(List.of("--tcp-ports", spec));
            }
        }
        return a;
    }
}
