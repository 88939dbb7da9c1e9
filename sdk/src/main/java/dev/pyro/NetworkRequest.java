package dev.pyro;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The network a VM asks for. {@link #OFF} (the default) gives the guest no network device.
 *
 * @param policy off, egress, or egress plus published ports
 * @param backend {@code "auto"} (the user back end), {@code "user"} (rootless user-mode
 *     networking through passt: no privileges needed) or {@code "tap"} (a TAP device and
 *     nftables NAT: needs CAP_NET_ADMIN)
 * @param allowHost let the guest reach services on the host's loopback as
 *     {@code host.pyro.internal}; without it, egress never reaches the host's loopback
 * @param publish host ports on 127.0.0.1 forwarded to guest ports (policy
 *     {@link NetworkPolicy#EGRESS_PUBLISHED_PORTS} only)
 */
public record NetworkRequest(NetworkPolicy policy, String backend, boolean allowHost, List<PortMapping> publish) {
    /** The back ends by name; {@code auto} picks {@code user}. */
    public static final List<String> BACKENDS = List.of("auto", "user", "tap");
    /** No network device. */
    public static final NetworkRequest OFF = new NetworkRequest(NetworkPolicy.OFF, "auto", false, List.of());

    public NetworkRequest {
        Objects.requireNonNull(policy, "policy");
        backend = Objects.requireNonNull(backend, "backend").trim().toLowerCase(Locale.ROOT);
        publish = List.copyOf(publish);
        if (!BACKENDS.contains(backend)) {
            throw PyroException.invalidArgument("unknown network back end '" + backend + "'; use one of "
                    + String.join(", ", BACKENDS));
        }
        if (!policy.enabled() && (allowHost || !publish.isEmpty())) {
            throw PyroException.invalidArgument((allowHost ? "allow-host" : "published ports")
                    + " needs a network; add network (--network), or network_policy egress"
                    + (publish.isEmpty() ? "" : "+published-ports"));
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

    /**
     * The request the CLI options and the MCP arguments describe, with one set of rules for
     * both fronts: an explicit policy wins (and {@code network} must not contradict it);
     * otherwise published ports mean egress+published-ports, and {@code network} or
     * {@code allowHost} mean egress.
     *
     * @param policy a policy's wire name, or null when not given
     * @param publish {@code HOST_PORT:GUEST_PORT} strings
     * @param backend auto, user or tap (null: auto)
     * @throws PyroException INVALID_ARGUMENT naming the fix
     */
    public static NetworkRequest of(String policy, boolean network, boolean allowHost, List<String> publish,
            String backend) {
        List<PortMapping> ports = publish.stream().map(PortMapping::parse).toList();
        String back = backend == null ? "auto" : backend;
        NetworkPolicy p;
        if (policy != null) {
            p = NetworkPolicy.parse(policy);
            if (network && !p.enabled()) {
                throw PyroException.invalidArgument("network (--network) contradicts network policy off; give one"
                        + " of them");
            }
        } else if (!ports.isEmpty()) {
            p = NetworkPolicy.EGRESS_PUBLISHED_PORTS;
        } else if (network || allowHost) {
            p = NetworkPolicy.EGRESS; // allow-host alone: a network that reaches the host is what was asked
        } else {
            p = NetworkPolicy.OFF;
        }
        if (!p.enabled() && !back.trim().equalsIgnoreCase("auto")) {
            throw PyroException.invalidArgument("network back end " + back + " needs a network; add network"
                    + " (--network)");
        }
        return new NetworkRequest(p, back, allowHost, ports);
    }

    /** Outbound network through NAT with the default back end. */
    public static NetworkRequest egress() {
        return new NetworkRequest(NetworkPolicy.EGRESS, "auto", false, List.of());
    }

    public NetworkRequest withAllowHost(boolean allow) {
        return new NetworkRequest(policy, backend, allow, publish);
    }

    public NetworkRequest withBackend(String name) {
        return new NetworkRequest(policy, name, allowHost, publish);
    }

    /** The same request publishing these ports (and with policy egress+published-ports). */
    public NetworkRequest withPublish(List<PortMapping> ports) {
        return new NetworkRequest(ports.isEmpty() ? policy : NetworkPolicy.EGRESS_PUBLISHED_PORTS, backend, allowHost,
                ports);
    }

    public boolean enabled() {
        return policy.enabled();
    }
}
