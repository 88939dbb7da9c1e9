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
                    + " needs a network; add --network (network_policy egress"
                    + (publish.isEmpty() ? "" : "+published-ports") + ")");
        }
        if (!publish.isEmpty() && policy != NetworkPolicy.EGRESS_PUBLISHED_PORTS) {
            throw PyroException.invalidArgument("published ports need network policy egress+published-ports, not "
                    + policy.wireName() + "; use --network-policy egress+published-ports");
        }
        Set<Integer> hostPorts = new HashSet<>();
        for (PortMapping p : publish) {
            if (!hostPorts.add(p.hostPort())) {
                throw PyroException.invalidArgument("host port " + p.hostPort() + " is published twice; give each"
                        + " published port its own host port");
            }
        }
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
