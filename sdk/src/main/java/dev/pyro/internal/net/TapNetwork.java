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
 * needs no privileges to open it) with the gateway address on the host side, and one nftables
 * table per VM ({@code ip pyro_<id>}) for NAT and filtering. Tearing down is deleting the device
 * and the table, which removes every rule of the VM at once (docs/networking.md).
 */
public final class TapNetwork {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);

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

    /** The nftables ruleset of one VM (pure, unit-tested). */
    static String ruleset(NetworkPlan plan, String device) {
        String dev = "\"" + device + "\"";
        String gw = plan.gateway();
        String guest = plan.guestAddress();
        StringBuilder r = new StringBuilder();
        r.append("table ip ").append(tableName(device)).append(" {\n");
        r.append("  chain prerouting {\n    type nat hook prerouting priority -100; policy accept;\n");
        if (plan.allowHost()) {
            // host.pyro.internal (the gateway address) reaches the host's loopback services;
            // route_localnet on the device lets the kernel route to 127.0.0.1 from it.
            r.append("    iifname ").append(dev).append(" ip daddr ").append(gw)
                    .append(" meta l4proto { tcp, udp } dnat to 127.0.0.1\n");
        }
        r.append("  }\n");
        r.append("  chain output {\n    type nat hook output priority -100; policy accept;\n");
        for (PortMapping p : plan.publish()) {
            r.append("    ip daddr 127.0.0.1 tcp dport ").append(p.hostPort()).append(" dnat to ").append(guest)
                    .append(":").append(p.guestPort()).append("\n");
        }
        r.append("  }\n");
        r.append("  chain postrouting {\n    type nat hook postrouting priority 100; policy accept;\n");
        r.append("    ip saddr ").append(guest).append(" oifname != ").append(dev).append(" masquerade\n");
        if (!plan.publish().isEmpty()) {
            // published ports: connections from the host's loopback leave through the device
            r.append("    oifname ").append(dev).append(" ip saddr 127.0.0.1 masquerade\n");
        }
        r.append("  }\n");
        r.append("  chain input {\n    type filter hook input priority 0; policy accept;\n");
        r.append("    iifname ").append(dev).append(" ct state established,related accept\n");
        if (plan.allowHost()) {
            r.append("    iifname ").append(dev).append(" ip daddr 127.0.0.1 accept\n");
        }
        r.append("    iifname ").append(dev).append(" ip saddr != ").append(guest).append(" drop\n");
        if (plan.dns().isPresent() && plan.dns().get().equals(gw)) {
            r.append("    iifname ").append(dev).append(" udp dport 53 accept\n");
        }
        // Nothing else from the guest reaches the host itself.
        r.append("    iifname ").append(dev).append(" drop\n");
        r.append("  }\n");
        r.append("  chain forward {\n    type filter hook forward priority 0; policy accept;\n");
        r.append("    iifname ").append(dev).append(" ip saddr != ").append(guest).append(" drop\n");
        r.append("    oifname ").append(dev).append(" ct state established,related accept\n");
        r.append("    oifname ").append(dev).append(" ct status dnat accept\n");
        r.append("    oifname ").append(dev).append(" drop\n");
        r.append("  }\n");
        r.append("}\n");
        return r.toString();
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
        try {
            run(List.of("ip", "tuntap", "add", "dev", dev, "mode", "tap"));
            // Who set it up: lets a later sweep remove it if this process is killed (TapLeftovers).
            java.util.Optional<String> owner = TapLeftovers.ownerAlias();
            if (owner.isPresent()) {
                run(List.of("ip", "link", "set", "dev", dev, "alias", owner.get()));
            }
            run(List.of("ip", "addr", "add", plan.gateway() + "/" + AddressPool.PREFIX, "dev", dev));
            run(List.of("ip", "link", "set", dev, "up"));
            if (plan.allowHost() || !plan.publish().isEmpty()) {
                sysctl(Path.of("/proc/sys/net/ipv4/conf", dev, "route_localnet"));
            }
            if (!plan.publish().isEmpty()) {
                // Locally generated connections to 127.0.0.1 that are DNATed to the guest leave
                // the loopback device; the kernel routes them only with route_localnet there.
                sysctl(Path.of("/proc/sys/net/ipv4/conf/lo/route_localnet"));
            }
            // NAT needs forwarding (as for Docker and libvirt); it stays on, and doctor shows it.
            if (!HostNetwork.ipForward().orElse(false)) {
                sysctl(HostNetwork.IP_FORWARD);
            }
            Path rules = workDir.resolve("nft-" + dev + ".rules");
            Files.createDirectories(workDir);
            Files.writeString(rules, ruleset(plan, dev), StandardCharsets.UTF_8);
            run(List.of("nft", "-f", rules.toString()));
        } catch (IOException | RuntimeException e) {
            down(plan);
            if (e instanceof PyroException pe) {
                throw pe;
            }
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot set up the tap network of " + dev + ": "
                    + e.getMessage() + "; or use --network-backend user", e);
        }
    }

    /** Removes the device and the rules of {@code plan}, if present; never throws. */
    public static void down(NetworkPlan plan) {
        plan.tapDevice().ifPresent(TapNetwork::down);
    }

    /** Removes device {@code dev} and its rules, if present; never throws. */
    static void down(String dev) {
        if (HostNetwork.tool("ip").isPresent() && Files.exists(Path.of("/sys/class/net", dev))) {
            quiet(List.of("ip", "link", "del", dev));
        }
        deleteTable(dev);
    }

    /** Removes the rules of device {@code dev}, if present; never throws. */
    static void deleteTable(String dev) {
        if (HostNetwork.tool("nft").isPresent()) {
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
