package dev.pyro.internal.net;

import dev.pyro.PortMapping;
import dev.pyro.PyroException;
import dev.pyro.internal.host.Exec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tap back end: a TAP device per VM (created persistent with {@code ip tuntap}, so QEMU
 * needs no privileges to open it) with the gateway address on the host side, IPv6 disabled on
 * it, and one nftables table per VM ({@code inet pyro_<device>}) for NAT and filtering: the
 * guest reaches public addresses, the allow-net ranges, DNS through the gateway and the
 * allow-host ports, nothing else of the host or its networks. Every rule names the VM's device,
 * so the host's other traffic is never touched. Tearing down is deleting the device and the
 * table, which removes every rule of the VM at once (docs/networking.md).
 */
public final class TapNetwork {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    static final Path LO_ROUTE_LOCALNET = Path.of("/proc/sys/net/ipv4/conf/lo/route_localnet");
    /** The host-wide settings pyro may turn on, by the key under which it records them. */
    static final Map<String, Path> HOST_SETTINGS = Map.of("ip_forward", HostNetwork.IP_FORWARD,
            "lo.route_localnet", LO_ROUTE_LOCALNET);
    private static final java.util.regex.Pattern OWNED = java.util.regex.Pattern.compile("pt[A-Za-z0-9]{1,13}");

    private TapNetwork() {
    }

    /** The TAP device of VM {@code id} ({@code pt<id>}, within the 15 characters Linux allows). */
    public static String deviceName(String vmId) {
        String id = vmId.replaceAll("[^A-Za-z0-9]", "");
        return "pt" + (id.length() > 13 ? id.substring(0, 13) : id);
    }

    static String tableName(String device) {
        return "pyro_" + device;
    }

    /** Why the tap back end cannot work here, or empty when it can. */
    public static java.util.Optional<String> unavailable() {
        if (!HostNetwork.hasNetAdmin()) {
            return java.util.Optional.of("the tap back end needs CAP_NET_ADMIN (run pyro as root) to create TAP"
                    + " devices and NAT rules; the user back end needs no privileges: use --network-backend user");
        }
        if (!HostNetwork.tunExists()) {
            return java.util.Optional.of(HostNetwork.DEV_TUN + " does not exist (load the tun module: modprobe tun);"
                    + " or use --network-backend user");
        }
        if (HostNetwork.tool("ip").isEmpty()) {
            return java.util.Optional.of("the tap back end needs ip (apt-get install iproute2); or use --network-backend user");
        }
        if (HostNetwork.tool("nft").isEmpty()) {
            return java.util.Optional.of("the tap back end needs nft (apt-get install nftables); or use --network-backend user");
        }
        return java.util.Optional.empty();
    }

    /**
     * The nftables ruleset of one VM (pure, unit-tested).
     *
     * @param resolver the host's resolver DNS queries to the gateway go to (when the plan gives
     *     the guest DNS at its gateway): on loopback, a host address, the LAN or anywhere
     */
    static String ruleset(NetworkPlan plan, String device, java.util.Optional<String> resolver) {
        String dev = "\"" + device + "\"";
        String gw = plan.gateway();
        String guest = plan.guestAddress();
        java.util.Optional<String> dnsTo = plan.dnsAtGateway() ? resolver : java.util.Optional.empty();
        String hostPorts = set(plan.allowHostPorts().stream().map(String::valueOf).toList());
        StringBuilder r = new StringBuilder();
        r.append("table inet ").append(tableName(device)).append(" {\n");

        r.append("  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n");
        dnsTo.ifPresent(ns -> {
            // DNS to the gateway goes to the host's resolver, wherever it is (route_localnet on the
            // device lets a loopback resolver such as 127.0.0.53 be reached from it).
            for (String proto : List.of("udp", "tcp")) {
                r.append("    iifname ").append(dev).append(" ip daddr ").append(gw).append(" ").append(proto)
                        .append(" dport 53 dnat ip to ").append(ns).append(":53\n");
            }
        });
        if (plan.allowHost()) {
            // host.pyro.internal (the gateway address) reaches the listed ports of the host's loopback.
            for (String proto : List.of("tcp", "udp")) {
                r.append("    iifname ").append(dev).append(" ip daddr ").append(gw).append(" ").append(proto)
                        .append(" dport ").append(hostPorts).append(" dnat ip to 127.0.0.1\n");
            }
        }
        r.append("  }\n");

        r.append("  chain output {\n    type nat hook output priority -100; policy accept;\n");
        for (PortMapping p : plan.publish()) {
            r.append("    ip daddr 127.0.0.1 tcp dport ").append(p.hostPort()).append(" dnat ip to ").append(guest)
                    .append(":").append(p.guestPort()).append("\n");
        }
        r.append("  }\n");

        r.append("  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
        r.append("    ip saddr ").append(guest).append(" oifname != ").append(dev).append(" masquerade\n");
        if (!plan.publish().isEmpty()) {
            // published ports: connections from the host's loopback leave through the device
            r.append("    oifname ").append(dev).append(" ip saddr 127.0.0.1 masquerade\n");
        }
        r.append("  }\n");

        // What the guest sends to the host itself (its own addresses, loopback after DNAT, the
        // gateway, broadcast and multicast): replies, the DNATed host ports and DNS; nothing else.
        r.append("  chain input {\n    type filter hook input priority filter; policy accept;\n");
        r.append("    iifname ").append(dev).append(" meta nfproto ipv6 drop\n");
        r.append("    iifname ").append(dev).append(" ip saddr != ").append(guest).append(" drop\n");
        r.append("    iifname ").append(dev).append(" ct state established,related accept\n");
        if (plan.allowHost()) {
            r.append("    iifname ").append(dev).append(" ip daddr 127.0.0.1 meta l4proto { tcp, udp } th dport ")
                    .append(hostPorts).append(" ct status dnat accept\n");
        }
        dnsTo.ifPresent(ns -> r.append("    iifname ").append(dev).append(" ip daddr ").append(ns)
                .append(" meta l4proto { tcp, udp } th dport 53 ct status dnat accept\n"));
        r.append("    iifname ").append(dev).append(" drop\n");
        r.append("  }\n");

        // What the guest sends elsewhere: public addresses, the allow-net ranges and DNS to the
        // resolver; never the host's networks or another guest. Nothing new reaches the guest.
        r.append("  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
        r.append("    iifname ").append(dev).append(" meta nfproto ipv6 drop\n");
        r.append("    oifname ").append(dev).append(" meta nfproto ipv6 drop\n");
        r.append("    iifname ").append(dev).append(" ip saddr != ").append(guest).append(" drop\n");
        dnsTo.ifPresent(ns -> r.append("    iifname ").append(dev).append(" ip daddr ").append(ns)
                .append(" meta l4proto { tcp, udp } th dport 53 ct status dnat accept\n"));
        if (plan.dns().isPresent() && !plan.dnsAtGateway()) {
            // a plan recorded when the guest asked the host's resolver directly
            r.append("    iifname ").append(dev).append(" ip daddr ").append(plan.dns().get())
                    .append(" meta l4proto { tcp, udp } th dport 53 accept\n");
        }
        r.append("    iifname ").append(dev).append(" ip daddr ").append(AddressPool.CIDR).append(" drop\n");
        List<Ipv4Range> open = Ipv4Range.minimal(plan.allowNet());
        if (!open.isEmpty()) {
            r.append("    iifname ").append(dev).append(" ip daddr ")
                    .append(set(open.stream().map(Ipv4Range::toString).toList())).append(" accept\n");
        }
        r.append("    iifname ").append(dev).append(" ip daddr ")
                .append(set(EgressRanges.ranges().stream().map(Ipv4Range::toString).toList())).append(" drop\n");
        r.append("    oifname ").append(dev).append(" ct state established,related accept\n");
        r.append("    oifname ").append(dev).append(" drop\n");
        r.append("  }\n");
        r.append("}\n");
        return r.toString();
    }

    private static String set(List<String> elements) {
        return elements.size() == 1 ? elements.get(0) : "{ " + String.join(", ", elements) + " }";
    }

    /**
     * Creates the device and the rules. On failure, removes what it created and throws a
     * HOST_SETUP error naming the command that failed.
     *
     * @param workDir where the ruleset file is written (the VM's run directory)
     */
    public static void up(NetworkPlan plan, Path workDir) {
        String dev = plan.tapDevice().orElseThrow(() -> new IllegalArgumentException("tap plan without a device"));
        unavailable().ifPresent(why -> {
            throw new PyroException(PyroException.Kind.HOST_SETUP, why);
        });
        TapLeftovers.sweep(); // devices and rules of killed runs, this VM's own included
        down(plan);
        java.util.Optional<String> resolver = plan.dnsAtGateway() ? HostNetwork.resolver() : java.util.Optional.empty();
        try {
            TapHostSettings settings = TapHostSettings.current();
            // One step under the namespace's lock: a teardown elsewhere that finds no device left
            // must not put forwarding back between our turning it on and our device existing.
            settings.locked(() -> {
                try {
                    settings.dropStale(pyroDevices().isEmpty());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                run(List.of("ip", "tuntap", "add", "dev", dev, "mode", "tap"));
                // Who set it up: lets a later sweep remove it if this process is killed (TapLeftovers).
                TapLeftovers.ownerAlias().ifPresent(alias -> run(List.of("ip", "link", "set", "dev", dev, "alias", alias)));
                try {
                    // Before the link is up: no IPv6 on the device at all, so no link-local address
                    // and no router advertisement from the guest reaches the host's routing table.
                    disableIpv6(dev);
                    // NAT needs forwarding (as for Docker and libvirt); put back when the last device goes.
                    settings.turnOn("ip_forward", HostNetwork.IP_FORWARD);
                    if (!plan.publish().isEmpty()) {
                        // Locally generated connections to 127.0.0.1 that are DNATed to the guest
                        // leave the loopback device; the kernel routes them only with route_localnet there.
                        settings.turnOn("lo.route_localnet", LO_ROUTE_LOCALNET);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return null;
            });
            run(List.of("ip", "addr", "add", plan.gateway() + "/" + AddressPool.PREFIX, "dev", dev));
            if (plan.allowHost() || !plan.publish().isEmpty() || resolver.map(TapNetwork::loopback).orElse(false)) {
                // Loopback addresses on the device's packets: DNAT to the host's loopback (host ports,
                // a loopback resolver) and published ports' connections from 127.0.0.1 before their
                // masquerade. A per-device setting that goes with the device; the input chain accepts
                // only DNATed packets for 127.0.0.1.
                sysctl(Path.of("/proc/sys/net/ipv4/conf", dev, "route_localnet"));
            }
            run(List.of("ip", "link", "set", dev, "up"));
            Path rules = workDir.resolve("nft-" + dev + ".rules");
            Files.createDirectories(workDir);
            Files.writeString(rules, ruleset(plan, dev, resolver), StandardCharsets.UTF_8);
            run(List.of("nft", "-f", rules.toString()));
        } catch (IOException | RuntimeException e) {
            down(plan);
            if (e instanceof PyroException pe) {
                throw pe;
            }
            Throwable cause = e instanceof java.io.UncheckedIOException u ? u.getCause() : e;
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot set up the tap network of " + dev + ": "
                    + cause.getMessage() + "; or use --network-backend user", e);
        }
    }

    private static boolean loopback(String address) {
        return address.startsWith("127.");
    }

    /** IPv6 off on {@code dev} (and router advertisements ignored), where the host has IPv6 at all. */
    private static void disableIpv6(String dev) throws IOException {
        Path conf = Path.of("/proc/sys/net/ipv6/conf", dev);
        if (Files.isDirectory(conf)) {
            Files.writeString(conf.resolve("accept_ra"), "0\n");
            Files.writeString(conf.resolve("disable_ipv6"), "1\n");
        }
    }

    /** Removes the device and the rules of {@code plan}, if present; never throws. */
    public static void down(NetworkPlan plan) {
        plan.tapDevice().ifPresent(TapNetwork::down);
    }

    /**
     * Removes device {@code dev} and its rules, if present, and puts back the host settings pyro
     * changed once no pyro device is left in this network namespace; never throws.
     */
    static void down(String dev) {
        try {
            TapHostSettings settings = TapHostSettings.current();
            settings.locked(() -> {
                if (HostNetwork.tool("ip").isPresent() && Files.exists(Path.of("/sys/class/net", dev))) {
                    quiet(List.of("ip", "link", "del", dev));
                }
                if (pyroDevices().isEmpty()) {
                    try {
                        settings.restore(HOST_SETTINGS);
                    } catch (IOException e) {
                        // best effort: doctor shows forwarding
                    }
                }
                return null;
            });
        } catch (RuntimeException e) {
            // best effort: the device may stay until the next sweep
        }
        deleteTable(dev);
    }

    /**
     * The TAP devices of pyro in this network namespace: {@code pt*} devices whose alias names
     * an owner ({@link TapLeftovers}), whoever set them up.
     */
    static List<String> pyroDevices() {
        List<String> out = new ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> net = Files.newDirectoryStream(Path.of("/sys/class/net"))) {
            for (Path d : net) {
                String name = d.getFileName().toString();
                if (OWNED.matcher(name).matches() && alias(d).startsWith("pyro owner=")) {
                    out.add(name);
                }
            }
        } catch (IOException e) {
            out.add("?"); // cannot tell: assume one is left, so nothing is put back under a running VM
        }
        return out;
    }

    private static String alias(Path device) {
        try {
            return Files.readString(device.resolve("ifalias"), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Removes the rules of device {@code dev} (and those of older pyro versions), if present; never throws. */
    static void deleteTable(String dev) {
        if (HostNetwork.tool("nft").isPresent()) {
            quiet(List.of("nft", "delete", "table", "inet", tableName(dev)));
            quiet(List.of("nft", "delete", "table", "ip", tableName(dev)));
        }
    }

    /** {@code nft list tables} of this network namespace, or empty when nft cannot say. */
    static java.util.Optional<String> listTables() {
        java.util.Optional<Path> nft = HostNetwork.tool("nft");
        if (nft.isEmpty()) {
            return java.util.Optional.empty();
        }
        try {
            Exec.Result r = Exec.capture(List.of(nft.get().toString(), "list", "tables"), null, Map.of(), COMMAND_TIMEOUT);
            return r.ok() ? java.util.Optional.of(r.stdout()) : java.util.Optional.empty();
        } catch (RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    private static void sysctl(Path file) throws IOException {
        Files.writeString(file, "1\n");
    }

    private static void run(List<String> argv) {
        List<String> cmd = new ArrayList<>(argv);
        cmd.set(0, HostNetwork.tool(argv.get(0)).map(Path::toString).orElse(argv.get(0)));
        Exec.Result r = Exec.capture(cmd, null, Map.of(), COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "`" + String.join(" ", argv) + "` failed: "
                    + r.firstErrorLine() + "; or use --network-backend user");
        }
    }

    private static void quiet(List<String> argv) {
        try {
            List<String> cmd = new ArrayList<>(argv);
            cmd.set(0, HostNetwork.tool(argv.get(0)).map(Path::toString).orElse(argv.get(0)));
            Exec.capture(cmd, null, Map.of(), COMMAND_TIMEOUT);
        } catch (RuntimeException e) {
            // best effort
        }
    }
}
