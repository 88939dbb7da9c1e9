package dev.pyro.internal.net;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which Ethernet frames from the guest may reach passt (the user back end). passt turns each
 * guest TCP/UDP flow into a socket of its own on the host and connects it wherever the frame
 * says, so this filter is the user back end's whole egress policy (docs/networking.md):
 *
 * <ul>
 *   <li>IPv4 and ARP only (passt runs IPv4-only; IPv6, VLAN tags and the rest are dropped);
 *   <li>the guest's own source address only (passt learns the guest's address from its frames);
 *   <li>to the gateway: DNS (UDP 53, which passt forwards to the host's resolver) when the guest
 *       has DNS, the allow-host ports (passt maps the gateway to the host's loopback then), and
 *       the guest's side of connections to its published ports (passt presents them as coming
 *       from the gateway); never a new connection from a published port, never a fragment;
 *   <li>never the host's loopback or "this network" (a crafted frame to 127.0.0.1 would reach
 *       the host's loopback services, whatever {@code --no-map-gw} says);
 *   <li>never the host's own addresses (read while the VM runs: they may change), nor the guests'
 *       pool {@link AddressPool#CIDR} (other VMs), whatever allow-net says;
 *   <li>the allow-net ranges; and otherwise public addresses only ({@link EgressRanges}).
 * </ul>
 *
 * Pure apart from the host-address supplier, so it is unit-tested frame by frame.
 */
public final class FrameFilter {
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETH_HEADER = 14;
    private static final int IPV4_MIN_HEADER = 20;
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;
    private static final int TCP_SYN = 0x02;
    private static final int TCP_ACK = 0x10;
    private static final int DNS_PORT = 53;

    /** What the filter decided about a frame, and why (the relay's trace prints it). */
    public enum Verdict {
        PASS, ARP, MALFORMED, NOT_IPV4, SPOOFED_SOURCE, GATEWAY_PORT, FRAGMENT_TO_GATEWAY, HOST_LOOPBACK,
        HOST_ADDRESS, OTHER_GUEST, NOT_PUBLIC;

        public boolean passes() {
            return this == PASS || this == ARP;
        }
    }

    private final int guest;
    private final int gateway;
    private final boolean dns;
    private final Set<Integer> hostPorts;
    private final Set<Integer> publishedGuestPorts;
    private final List<Ipv4Range> allowNet;
    private final Supplier<Set<Integer>> hostAddresses;

    FrameFilter(int guest, int gateway, boolean dns, Set<Integer> hostPorts, Set<Integer> publishedGuestPorts,
            List<Ipv4Range> allowNet, Supplier<Set<Integer>> hostAddresses) {
        this.guest = guest;
        this.gateway = gateway;
        this.dns = dns;
        this.hostPorts = Set.copyOf(hostPorts);
        this.publishedGuestPorts = Set.copyOf(publishedGuestPorts);
        this.allowNet = List.copyOf(allowNet);
        this.hostAddresses = Objects.requireNonNull(hostAddresses, "hostAddresses");
    }

    /**
     * The filter for {@code plan}'s guest.
     *
     * @param hostAddresses the host's own IPv4 addresses now ({@link HostNetwork#ownAddresses})
     */
    public static FrameFilter of(NetworkPlan plan, Supplier<Set<Integer>> hostAddresses) {
        return new FrameFilter(Ipv4Range.parseAddress(plan.guestAddress()).orElseThrow(),
                Ipv4Range.parseAddress(plan.gateway()).orElseThrow(), plan.dnsAtGateway(),
                Set.copyOf(plan.allowHostPorts()),
                plan.publish().stream().map(dev.pyro.PortMapping::guestPort).collect(java.util.stream.Collectors.toSet()),
                plan.allowNet(), hostAddresses);
    }

    /**
     * A gratuitous ARP request from the guest ({@code mac}, {@code ipv4}), with its stream
     * length prefix: what the relay sends passt first, so passt knows the guest's MAC.
     */
    public static byte[] announcement(String mac, String ipv4) {
        byte[] m = java.util.HexFormat.of().parseHex(mac.replace(":", ""));
        byte[] ip = java.nio.ByteBuffer.allocate(4).putInt(Ipv4Range.parseAddress(ipv4).orElseThrow()).array();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 42);
        b.putInt(42);
        b.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(m).putShort((short) ETHERTYPE_ARP);
        b.putShort((short) 1).putShort((short) ETHERTYPE_IPV4).put((byte) 6).put((byte) 4).putShort((short) 1);
        b.put(m).put(ip).put(new byte[6]).put(ip);
        return b.array();
    }

    /** Whether the guest's frame {@code buffer[offset..offset+length)} may go on to passt. */
    public boolean allowed(byte[] buffer, int offset, int length) {
        return check(buffer, offset, length).passes();
    }

    /** The verdict on the guest's frame {@code buffer[offset..offset+length)}. */
    public Verdict check(byte[] buffer, int offset, int length) {
        if (length < ETH_HEADER || offset < 0 || offset + length > buffer.length) {
            return Verdict.MALFORMED;
        }
        int type = u16(buffer, offset + 12);
        if (type == ETHERTYPE_ARP) {
            return Verdict.ARP; // passt only answers ARP; it opens nothing for it
        }
        if (type != ETHERTYPE_IPV4) {
            return Verdict.NOT_IPV4; // IPv6 (passt runs IPv4-only), VLAN tags and anything else
        }
        int ip = offset + ETH_HEADER;
        if (length < ETH_HEADER + IPV4_MIN_HEADER || (buffer[ip] & 0xf0) != 0x40) {
            return Verdict.MALFORMED;
        }
        int headerLength = (buffer[ip] & 0x0f) * 4;
        if (headerLength < IPV4_MIN_HEADER || length < ETH_HEADER + headerLength) {
            return Verdict.MALFORMED;
        }
        int source = s32(buffer, ip + 12);
        int destination = s32(buffer, ip + 16);
        if (source != guest) {
            return Verdict.SPOOFED_SOURCE;
        }
        if (destination == gateway) {
            return toGateway(buffer, ip, headerLength, offset + length);
        }
        int first = destination >>> 24;
        if (first == 127 || first == 0) {
            return Verdict.HOST_LOOPBACK; // passt would connect it to the host's loopback
        }
        if (hostAddresses.get().contains(destination)) {
            return Verdict.HOST_ADDRESS;
        }
        if (AddressPool.RANGE.contains(destination)) {
            return Verdict.OTHER_GUEST; // tap guests take connections from the host's side: never from a guest
        }
        for (Ipv4Range r : allowNet) {
            if (r.contains(destination)) {
                return Verdict.PASS;
            }
        }
        return EgressRanges.isPublic(destination) ? Verdict.PASS : Verdict.NOT_PUBLIC;
    }

    /**
     * A frame for the gateway. passt answers DNS there, maps it to the host's loopback when host
     * ports are allowed, and presents connections to published ports as coming from it; anything
     * else to the gateway has no business on the host. Ports are read from the first fragment only,
     * so fragments never pass.
     */
    private Verdict toGateway(byte[] b, int ip, int headerLength, int end) {
        int fragment = u16(b, ip + 6);
        if ((fragment & 0x3fff) != 0) { // more-fragments flag or a fragment offset
            return Verdict.FRAGMENT_TO_GATEWAY;
        }
        int protocol = b[ip + 9] & 0xff;
        int l4 = ip + headerLength;
        if ((protocol != PROTO_TCP && protocol != PROTO_UDP) || end < l4 + (protocol == PROTO_TCP ? 14 : 4)) {
            return Verdict.GATEWAY_PORT;
        }
        int sourcePort = u16(b, l4);
        int destinationPort = u16(b, l4 + 2);
        if (protocol == PROTO_UDP && destinationPort == DNS_PORT && dns) {
            return Verdict.PASS;
        }
        if (hostPorts.contains(destinationPort)) {
            return Verdict.PASS;
        }
        if (protocol == PROTO_TCP && publishedGuestPorts.contains(sourcePort)) {
            int flags = b[l4 + 13] & 0xff;
            boolean opening = (flags & TCP_SYN) != 0 && (flags & TCP_ACK) == 0;
            return opening ? Verdict.GATEWAY_PORT : Verdict.PASS; // a reply on an inbound connection
        }
        return Verdict.GATEWAY_PORT;
    }

    private static int u16(byte[] b, int i) {
        return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }

    private static int s32(byte[] b, int i) {
        return ((b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }
}
