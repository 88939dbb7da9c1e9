package dev.pyro;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The network a VM has, as results, status and {@code vm network-info} show it.
 *
 * @param policy its policy ({@link NetworkPolicy#OFF}: no network device at all)
 * @param backend {@code "user"} (passt) or {@code "tap"} (TAP + nftables NAT); empty when off
 * @param guestAddress the guest's IPv4 address with prefix, e.g. {@code 10.213.0.2/30}; empty when off
 * @param gateway the guest's default gateway; empty when off
 * @param dns the guest's DNS server; empty when off or when the host has none to offer
 * @param allowHostPorts the host loopback ports the guest reaches as {@code host.pyro.internal:PORT}
 * @param hostAlias the address {@code host.pyro.internal} names in the guest, when host ports are allowed
 * @param publishedPorts host ports on 127.0.0.1 forwarded to guest ports
 * @param tapDevice the host's TAP device (tap back end)
 * @param allowNet the non-public IPv4 ranges opened to the guest (CIDR form)
 */
public record NetworkInfo(NetworkPolicy policy, Optional<String> backend, Optional<String> guestAddress,
        Optional<String> gateway, Optional<String> dns, List<Integer> allowHostPorts, Optional<String> hostAlias,
        List<PortMapping> publishedPorts, Optional<String> tapDevice, List<String> allowNet) {
    /** The guest's name for the host when host ports are allowed. */
    public static final String HOST_NAME = "host.pyro.internal";
    /** No network device. */
    public static final NetworkInfo OFF = new NetworkInfo(NetworkPolicy.OFF, Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), List.of(), Optional.empty(), List.of(), Optional.empty(), List.of());

    public NetworkInfo {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(guestAddress, "guestAddress");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(dns, "dns");
        allowHostPorts = List.copyOf(allowHostPorts);
        Objects.requireNonNull(hostAlias, "hostAlias");
        publishedPorts = List.copyOf(publishedPorts);
        Objects.requireNonNull(tapDevice, "tapDevice");
        allowNet = List.copyOf(allowNet);
    }

    /** Whether the guest reaches any host port as {@code host.pyro.internal}. */
    public boolean allowHost() {
        return !allowHostPorts.isEmpty();
    }

    public boolean enabled() {
        return policy.enabled();
    }
}
