package dev.pyro.internal.net;

import java.util.List;

/**
 * What "public" means for a guest's egress (docs/networking.md, docs/security.md): every IPv4
 * destination except the ranges below, which are local by nature (this host, its links, its
 * private networks, its provider's shared space, multicast) and hold what a guest must not
 * reach: cloud instance metadata at 169.254.169.254, the host's LAN and its other VMs, a
 * proxy's fake-IP range. Both back ends drop them (the relay for passt, nftables for tap)
 * unless the caller opened a range with allow-net. IPv6 is not offered to guests at all, so
 * every IPv6 packet is dropped (fe80::/10 and the rest with it).
 *
 * <p>The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, RFC 5737) count
 * as public: no network of anyone's is numbered from them, so there is nothing to protect
 * there, and tests route them inside network namespaces of their own to prove that public
 * egress works without opening anything.
 */
public final class EgressRanges {
    /** One blocked range and why, for rules, tests and docs. */
    public record Blocked(Ipv4Range range, String why) {
    }

    /** The ranges a guest does not reach without allow-net; none contains another. */
    public static final List<Blocked> BLOCKED = List.of(
            blocked("0.0.0.0/8", "'this network'; 0.0.0.0 reaches the host itself"),
            blocked("10.0.0.0/8", "private (RFC 1918); holds the guests' own 10.213.0.0/16"),
            blocked("100.64.0.0/10", "shared address space (carrier-grade NAT, RFC 6598)"),
            blocked("127.0.0.0/8", "loopback: the host's own services"),
            blocked("169.254.0.0/16", "link-local: cloud instance metadata and credentials at 169.254.169.254"),
            blocked("172.16.0.0/12", "private (RFC 1918)"),
            blocked("192.0.0.0/24", "IETF protocol assignments (local gateways such as NAT64 and DS-Lite)"),
            blocked("192.168.0.0/16", "private (RFC 1918)"),
            blocked("198.18.0.0/15", "benchmarking; used by local proxies for fake IP addresses"),
            blocked("224.0.0.0/4", "multicast"),
            blocked("240.0.0.0/4", "reserved, and the limited broadcast 255.255.255.255"));

    /** Ranges a caller may never open with allow-net: the host itself (host ports go through allow-host). */
    public static final List<Ipv4Range> NEVER_OPEN = List.of(range("0.0.0.0/8"), range("127.0.0.0/8"));

    private EgressRanges() {
    }

    private static Blocked blocked(String cidr, String why) {
        return new Blocked(range(cidr), why);
    }

    private static Ipv4Range range(String cidr) {
        return Ipv4Range.parse(cidr).orElseThrow();
    }

    /** Whether {@code address} is outside every blocked range. */
    public static boolean isPublic(int address) {
        for (Blocked b : BLOCKED) {
            if (b.range().contains(address)) {
                return false;
            }
        }
        return true;
    }

    /** The blocked ranges alone. */
    public static List<Ipv4Range> ranges() {
        return BLOCKED.stream().map(Blocked::range).toList();
    }
}
