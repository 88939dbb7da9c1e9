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
 * @param allowHost whether the guest reaches the host's loopback as {@code host.pyro.internal}
 * @param hostAlias the address {@code host.pyro.internal} names in the guest, when allowed
 * @param publishedPorts host ports on 127.0.0.1 forwarded to guest ports
 * @param tapDevice the host's TAP device (tap back end)
 */
public record NetworkInfo(NetworkPolicy policy, Optional<String> backend, Optional<String> guestAddress,
        Optional<String> gateway, Optional<String> dns, boolean allowHost, Optional<String> hostAlias,
        List<PortMapping> publishedPorts, Optional<String> tapDevice) {
    /** The guest's name for the host when {@code allowHost} is set. */
    public static final String HOST_NAME = "host.pyro.internal";
    /** No network device. */
    public static final NetworkInfo OFF = new NetworkInfo(NetworkPolicy.OFF, Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), false, Optional.empty(), List.of(), Optional.empty());

    public NetworkInfo {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(guestAddress, "guestAddress");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(hostAlias, "hostAlias");
        publishedPorts = List.copyOf(publishedPorts);
        Objects.requireNonNull(tapDevice, "tapDevice");
    }

    public boolean enabled() {
        return policy.enabled();
    }
}
