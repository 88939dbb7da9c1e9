package dev.pyro;

import dev.pyro.internal.net.EgressRanges;
import dev.pyro.internal.net.Ipv4Range;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The network a VM asks for. {@link #OFF} (the default) gives the guest no network device.
 * With a network, the guest reaches public addresses only: the host itself, private, link-local,
 * shared and multicast ranges stay closed unless opened here (docs/networking.md).
 *
 * @param policy off, egress, or egress plus published ports
 * @param backend {@code "auto"} (the user back end), {@code "user"} (rootless user-mode
 *     networking through passt: no privileges needed) or {@code "tap"} (a TAP device and
 *     nftables NAT: needs CAP_NET_ADMIN)
 * @param allowHostPorts the host's loopback ports the guest reaches as
 *     {@code host.pyro.internal:PORT}; no other host port is reachable (empty: none)
 * @param publish host ports on 127.0.0.1 forwarded to guest ports (policy
 *     {@link NetworkPolicy#EGRESS_PUBLISHED_PORTS} only)
 * @param allowNet IPv4 ranges in CIDR form ({@code 192.168.1.0/24}) the guest may reach although
 *     they are not public (a LAN, a company network); normalised ({@code 10.1.2.3/8} becomes
 *     {@code 10.0.0.0/8}). The host's own addresses stay closed whatever is listed.
 */
public record NetworkRequest(NetworkPolicy policy, String backend, List<Integer> allowHostPorts,
        List<PortMapping> publish, List<String> allowNet) {
    /** The back ends by name; {@code auto} picks {@code user}. */
    public static final List<String> BACKENDS = List.of("auto", "user", "tap");
    /** No network device. */
    public static final NetworkRequest OFF = new NetworkRequest(NetworkPolicy.OFF, "auto", List.of(), List.of(),
            List.of());
    /** At most this many allow-host ports and allow-net ranges each (the input may come from a model). */
    public static final int MAX_LISTED = 64;

    public NetworkRequest {
        Objects.requireNonNull(policy, "policy");
        backend = Objects.requireNonNull(backend, "backend").trim().toLowerCase(Locale.ROOT);
        allowHostPorts = hostPorts(allowHostPorts);
        publish = List.copyOf(publish);
        allowNet = ranges(allowNet);
        if (!BACKENDS.contains(backend)) {
            throw PyroException.invalidArgument("unknown network back end '" + backend + "'; use one of "
                    + String.join(", ", BACKENDS));
        }
        if (!policy.enabled() && (!allowHostPorts.isEmpty() || !publish.isEmpty() || !allowNet.isEmpty())) {
            throw PyroException.invalidArgument((!allowHostPorts.isEmpty() ? "allow-host" : !publish.isEmpty()
                    ? "published ports" : "allow-net") + " needs a network; add network (--network), or network_policy"
                    + " egress" + (publish.isEmpty() ? "" : "+published-ports"));
        }
        if (!publish.isEmpty() && policy != NetworkPolicy.EGRESS_PUBLISHED_PORTS) {
            throw PyroException.invalidArgument("published ports need network policy egress+published-ports, not "
                    + policy.wireName() + "; use network_policy (--network-policy) egress+published-ports");
        }
        Set<Integer> hostPorts = new HashSet<>();
        for (PortMapping p : publish) {
            if (!hostPorts.add(p.hostPort())) {
                throw PyroException.invalidArgument("host port " + p.hostPort() + " is published twice; give each"
                        + " published port its own host port");
            }
        }
    }

    private static List<Integer> hostPorts(List<Integer> ports) {
        Objects.requireNonNull(ports, "allowHostPorts");
        if (ports.size() > MAX_LISTED) {
            throw PyroException.invalidArgument(ports.size() + " allow-host ports are too many; list at most "
                    + MAX_LISTED + " (only the ports the guest needs)");
        }
        Set<Integer> out = new LinkedHashSet<>();
        for (Integer p : ports) {
            if (p == null || p < 1 || p > 65535) {
                throw PyroException.invalidArgument("allow-host port " + p + " is out of range; use 1 to 65535,"
                        + " e.g. --allow-host 8000,5432");
            }
            out.add(p);
        }
        return List.copyOf(out);
    }

    private static List<String> ranges(List<String> ranges) {
        Objects.requireNonNull(ranges, "allowNet");
        if (ranges.size() > MAX_LISTED) {
            throw PyroException.invalidArgument(ranges.size() + " allow-net ranges are too many; list at most "
                    + MAX_LISTED);
        }
        Set<String> out = new LinkedHashSet<>();
        for (String r : ranges) {
            Ipv4Range range = Ipv4Range.parse(r).orElseThrow(() -> PyroException.invalidArgument("allow-net '" + r
                    + "' is not an IPv4 range; use CIDR form, e.g. 192.168.1.0/24 (guests have no IPv6)"));
            for (Ipv4Range never : EgressRanges.NEVER_OPEN) {
                if (range.overlaps(never)) {
                    throw PyroException.invalidArgument("allow-net " + range + " includes the host itself (" + never
                            + "); the host's services are reached by port with allow-host (--allow-host PORT)");
                }
            }
            out.add(range.toString());
        }
        return List.copyOf(out);
    }

    /**
     * The request the CLI options and the MCP arguments describe, with one set of rules for
     * both fronts: an explicit policy wins (and {@code network} must not contradict it);
     * otherwise published ports mean egress+published-ports, and {@code network},
     * {@code allowHostPorts} or {@code allowNet} mean egress.
     *
     * @param policy a policy's wire name, or null when not given
     * @param allowHostPorts host loopback ports the guest may reach
     * @param publish {@code HOST_PORT:GUEST_PORT} strings
     * @param allowNet IPv4 CIDR ranges opened beside the public internet
     * @param backend auto, user or tap (null: auto)
     * @throws PyroException INVALID_ARGUMENT naming the fix
     */
    public static NetworkRequest of(String policy, boolean network, List<Integer> allowHostPorts, List<String> publish,
            List<String> allowNet, String backend) {
        List<PortMapping> ports = publish.stream().map(PortMapping::parse).toList();
        String back = backend == null ? "auto" : backend;
        boolean opens = !allowHostPorts.isEmpty() || !allowNet.isEmpty();
        NetworkPolicy p;
        if (policy != null) {
            p = NetworkPolicy.parse(policy);
            if (network && !p.enabled()) {
                throw PyroException.invalidArgument("network (--network) contradicts network policy off; give one"
                        + " of them");
            }
        } else if (!ports.isEmpty()) {
            p = NetworkPolicy.EGRESS_PUBLISHED_PORTS;
        } else if (network || opens) {
            p = NetworkPolicy.EGRESS; // allow-host or allow-net alone: a network that reaches them is what was asked
        } else {
            p = NetworkPolicy.OFF;
        }
        if (!p.enabled() && !back.trim().equalsIgnoreCase("auto")) {
            throw PyroException.invalidArgument("network back end " + back + " needs a network; add network"
                    + " (--network)");
        }
        return new NetworkRequest(p, back, allowHostPorts, ports, allowNet);
    }

    /** Outbound network to public addresses through NAT, with the default back end. */
    public static NetworkRequest egress() {
        return new NetworkRequest(NetworkPolicy.EGRESS, "auto", List.of(), List.of(), List.of());
    }

    /** Whether the guest reaches any host port (as {@code host.pyro.internal}). */
    public boolean allowHost() {
        return !allowHostPorts.isEmpty();
    }

    /** The same request letting the guest reach these host loopback ports (none: no host access). */
    public NetworkRequest withAllowHostPorts(List<Integer> ports) {
        return new NetworkRequest(policy, backend, ports, publish, allowNet);
    }

    /** The same request opening these IPv4 ranges beside the public internet. */
    public NetworkRequest withAllowNet(List<String> ranges) {
        return new NetworkRequest(policy, backend, allowHostPorts, publish, ranges);
    }

    public NetworkRequest withBackend(String name) {
        return new NetworkRequest(policy, name, allowHostPorts, publish, allowNet);
    }

    /** The same request publishing these ports (and with policy egress+published-ports). */
    public NetworkRequest withPublish(List<PortMapping> ports) {
        return new NetworkRequest(ports.isEmpty() ? policy : NetworkPolicy.EGRESS_PUBLISHED_PORTS, backend,
                allowHostPorts, ports, allowNet);
    }

    /**
     * The {@link #allowNet} ranges that lie outside every range of {@code permitted} (CIDR
     * strings): what a front-end that opens only some ranges must refuse. Empty when all are
     * covered.
     *
     * @throws PyroException INVALID_ARGUMENT when a permitted range is not an IPv4 CIDR
     */
    public List<String> allowNetOutside(List<String> permitted) {
        List<Ipv4Range> allowed = new ArrayList<>();
        for (String p : permitted) {
            allowed.add(Ipv4Range.parse(p).orElseThrow(() -> PyroException.invalidArgument("'" + p
                    + "' is not an IPv4 range; use CIDR form, e.g. 192.168.1.0/24")));
        }
        return allowNet.stream()
                .filter(r -> allowed.stream().noneMatch(a -> a.contains(Ipv4Range.parse(r).orElseThrow())))
                .toList();
    }

    public boolean enabled() {
        return policy.enabled();
    }
}
