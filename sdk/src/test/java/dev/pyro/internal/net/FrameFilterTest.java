package dev.pyro.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.PortMapping;
import dev.pyro.internal.net.FrameFilter.Verdict;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The user back end's egress policy, frame by frame (docs/networking.md). */
class FrameFilterTest {
    static final String GUEST = "10.213.0.22";
    static final String GATEWAY = "10.213.0.21";
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMP = 1;
    static final int SYN = 0x02;
    static final int ACK = 0x10;

    /** The host's own addresses as the relay would read them (a public one among them). */
    final AtomicReference<Set<Integer>> host = new AtomicReference<>(Set.of(ip("203.0.113.7"), ip("192.168.1.5")));

    static int ip(String dotted) {
        return Ipv4Range.parseAddress(dotted).orElseThrow();
    }

    /** Slot 5's guest, DNS at the gateway, host port 8000 allowed, port 8080 published to guest port 80. */
    FrameFilter filter(String... allowNet) {
        NetworkPlan plan = NetworkPlanTest.plan(Backend.USER, List.of(8000), List.of(new PortMapping(8080, 80)), allowNet);
        assertThat(plan.guestAddress()).isEqualTo(GUEST);
        return FrameFilter.of(plan, host::get);
    }

    /** An Ethernet frame with an IPv4 header and a TCP/UDP header (ports, flags). */
    static byte[] frame(String src, String dst, int protocol, int sport, int dport, int flags, int fragment) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20);
        b.put(new byte[12]).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 40).putShort((short) 1).putShort((short) fragment)
                .put((byte) 64).put((byte) protocol).putShort((short) 0).putInt(ip(src)).putInt(ip(dst));
        b.putShort((short) sport).putShort((short) dport).putInt(1).putInt(0).put((byte) 0x50).put((byte) flags);
        return b.array();
    }

    static byte[] tcp(String dst, int dport) {
        return frame(GUEST, dst, TCP, 40000, dport, SYN, 0x4000);
    }

    Verdict check(FrameFilter f, byte[] frame) {
        return f.check(frame, 0, frame.length);
    }

    @Test
    void publicAddressesPassIncludingTheDocumentationRanges() {
        FrameFilter f = filter();
        for (String dst : List.of("1.1.1.1", "8.8.8.8", "151.101.1.1", "192.0.2.10", "198.51.100.10", "203.0.113.10",
                "100.128.0.1", "172.32.0.1", "169.253.255.255", "223.255.255.254")) {
            assertThat(check(f, tcp(dst, 443))).as(dst).isEqualTo(Verdict.PASS);
            assertThat(check(f, frame(GUEST, dst, UDP, 5000, 443, 0, 0))).as(dst).isEqualTo(Verdict.PASS);
        }
    }

    @Test
    void everyNonPublicRangeIsDropped() {
        FrameFilter f = filter();
        for (String dst : List.of("169.254.169.254", "169.254.0.1", "10.0.0.1", "10.255.255.255", "172.16.0.1",
                "172.31.255.254", "192.168.0.1", "192.168.213.2", "100.64.0.1", "100.127.255.254", "192.0.0.170",
                "198.18.0.1", "198.19.255.1", "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255")) {
            assertThat(check(f, tcp(dst, 80))).as(dst).isEqualTo(Verdict.NOT_PUBLIC);
            assertThat(check(f, frame(GUEST, dst, UDP, 5353, 5353, 0, 0))).as(dst).isEqualTo(Verdict.NOT_PUBLIC);
        }
        for (EgressRanges.Blocked b : EgressRanges.BLOCKED) {
            int first = b.range().base();
            String dst = Ipv4Range.dotted(first + 1);
            assertThat(check(f, tcp(dst, 80)).passes()).as(b.range() + " (" + b.why() + ")").isFalse();
        }
    }

    @Test
    void theHostsLoopbackAndThisNetworkNeverPassWhateverIsOpened() {
        FrameFilter f = filter("10.0.0.0/8");
        for (String dst : List.of("127.0.0.1", "127.1.2.3", "0.0.0.0", "0.1.2.3")) {
            assertThat(check(f, tcp(dst, 8000))).as(dst).isEqualTo(Verdict.HOST_LOOPBACK);
        }
    }

    @Test
    void theHostsOwnAddressesNeverPassAndAreReadAnewEachTime() {
        FrameFilter f = filter("203.0.113.0/24", "192.168.0.0/16");
        assertThat(check(f, tcp("203.0.113.7", 22))).isEqualTo(Verdict.HOST_ADDRESS);
        assertThat(check(f, tcp("192.168.1.5", 22))).isEqualTo(Verdict.HOST_ADDRESS);
        assertThat(check(f, tcp("203.0.113.8", 22))).isEqualTo(Verdict.PASS);
        host.set(Set.of(ip("203.0.113.8")));
        assertThat(check(f, tcp("203.0.113.8", 22))).isEqualTo(Verdict.HOST_ADDRESS);
        assertThat(check(f, tcp("203.0.113.7", 22))).isEqualTo(Verdict.PASS);
    }

    @Test
    void allowNetOpensExactlyItsRangesButNeverOtherGuests() {
        FrameFilter f = filter("192.168.1.0/24", "10.0.0.0/8", "169.254.169.254/32");
        assertThat(check(f, tcp("192.168.1.20", 5432))).isEqualTo(Verdict.PASS);
        assertThat(check(f, tcp("192.168.2.20", 5432))).isEqualTo(Verdict.NOT_PUBLIC);
        assertThat(check(f, tcp("10.1.2.3", 80))).isEqualTo(Verdict.PASS);
        assertThat(check(f, tcp("169.254.169.254", 80))).isEqualTo(Verdict.PASS);
        assertThat(check(f, tcp("169.254.169.253", 80))).isEqualTo(Verdict.NOT_PUBLIC);
        for (String otherGuest : List.of("10.213.0.6", "10.213.0.5", "10.213.255.254")) {
            assertThat(check(f, tcp(otherGuest, 80))).as(otherGuest).isEqualTo(Verdict.OTHER_GUEST);
        }
    }

    @Test
    void theGatewayTakesDnsTheAllowedHostPortsAndRepliesOfPublishedPortsOnly() {
        FrameFilter f = filter();
        assertThat(check(f, frame(GUEST, GATEWAY, UDP, 5000, 53, 0, 0))).isEqualTo(Verdict.PASS);
        assertThat(check(f, frame(GUEST, GATEWAY, TCP, 5000, 8000, SYN, 0x4000))).isEqualTo(Verdict.PASS);
        assertThat(check(f, frame(GUEST, GATEWAY, UDP, 5000, 8000, 0, 0))).isEqualTo(Verdict.PASS);
        // passt maps the gateway to the host's loopback: any other port would be a host service
        for (int port : List.of(22, 53, 5432, 7999, 8001, 8080)) {
            assertThat(check(f, frame(GUEST, GATEWAY, TCP, 5000, port, SYN, 0x4000))).as("tcp " + port)
                    .isEqualTo(Verdict.GATEWAY_PORT);
        }
        assertThat(check(f, frame(GUEST, GATEWAY, UDP, 5000, 5353, 0, 0))).isEqualTo(Verdict.GATEWAY_PORT);
        assertThat(check(f, frame(GUEST, GATEWAY, ICMP, 0x0800, 0, 0, 0))).isEqualTo(Verdict.GATEWAY_PORT);
        // connections to published port 80 come from the gateway: the guest's answers pass...
        assertThat(check(f, frame(GUEST, GATEWAY, TCP, 80, 51000, SYN | ACK, 0x4000))).isEqualTo(Verdict.PASS);
        assertThat(check(f, frame(GUEST, GATEWAY, TCP, 80, 51000, ACK, 0x4000))).isEqualTo(Verdict.PASS);
        // ...but a connection it opens from that port is refused
        assertThat(check(f, frame(GUEST, GATEWAY, TCP, 80, 5432, SYN, 0x4000))).isEqualTo(Verdict.GATEWAY_PORT);
        assertThat(check(f, frame(GUEST, GATEWAY, UDP, 80, 5432, 0, 0))).isEqualTo(Verdict.GATEWAY_PORT);
    }

    @Test
    void withoutDnsOrHostPortsTheGatewayTakesNothingNew() {
        NetworkPlan plan = new NetworkPlan(dev.pyro.NetworkPolicy.EGRESS, Backend.USER, 5, java.util.Optional.empty(),
                List.of(), List.of(), java.util.Optional.empty(), List.of());
        FrameFilter f = FrameFilter.of(plan, Set::of);
        assertThat(check(f, frame(GUEST, GATEWAY, UDP, 5000, 53, 0, 0))).isEqualTo(Verdict.GATEWAY_PORT);
        assertThat(check(f, frame(GUEST, GATEWAY, TCP, 5000, 8000, SYN, 0x4000))).isEqualTo(Verdict.GATEWAY_PORT);
    }

    @Test
    void fragmentsToTheGatewayNeverPassSinceTheirPortsCannotBeRead() {
        FrameFilter f = filter();
        assertThat(check(f, frame(GUEST, GATEWAY, TCP, 5000, 8000, SYN, 0x2000))).isEqualTo(Verdict.FRAGMENT_TO_GATEWAY);
        assertThat(check(f, frame(GUEST, GATEWAY, UDP, 5000, 53, 0, 0x0001))).isEqualTo(Verdict.FRAGMENT_TO_GATEWAY);
        assertThat(check(f, frame(GUEST, "1.1.1.1", UDP, 5000, 53, 0, 0x2000))).isEqualTo(Verdict.PASS);
    }

    @Test
    void onlyTheGuestsOwnSourceAddressPasses() {
        FrameFilter f = filter();
        for (String src : List.of("10.213.0.23", "127.0.0.1", "0.0.0.0", "1.1.1.1", GATEWAY)) {
            assertThat(check(f, frame(src, "1.1.1.1", TCP, 40000, 443, SYN, 0))).as(src)
                    .isEqualTo(Verdict.SPOOFED_SOURCE);
        }
    }

    @Test
    void whatPasstDoesNotNeedIsDropped() {
        FrameFilter f = filter();
        byte[] v6 = tcp("1.1.1.1", 443);
        v6[12] = (byte) 0x86;
        v6[13] = (byte) 0xdd;
        assertThat(check(f, v6)).isEqualTo(Verdict.NOT_IPV4);
        byte[] vlan = tcp("1.1.1.1", 443);
        vlan[12] = (byte) 0x81;
        vlan[13] = 0x00;
        assertThat(check(f, vlan)).isEqualTo(Verdict.NOT_IPV4);
        byte[] ok = tcp("1.1.1.1", 443);
        assertThat(f.check(ok, 0, 20)).isEqualTo(Verdict.MALFORMED); // truncated IPv4 header
        assertThat(f.check(new byte[10], 0, 10)).isEqualTo(Verdict.MALFORMED);
        assertThat(f.check(ok, 10, ok.length)).isEqualTo(Verdict.MALFORMED); // beyond the buffer
        byte[] shortHeader = tcp("1.1.1.1", 443);
        shortHeader[14] = 0x44; // IHL 4: less than an IPv4 header
        assertThat(check(f, shortHeader)).isEqualTo(Verdict.MALFORMED);
        byte[] longHeader = tcp("1.1.1.1", 443);
        longHeader[14] = 0x4f; // IHL 15: 60 bytes, more than the frame holds
        assertThat(check(f, longHeader)).isEqualTo(Verdict.MALFORMED);
        byte[] notV4 = tcp("1.1.1.1", 443);
        notV4[14] = 0x65;
        assertThat(check(f, notV4)).isEqualTo(Verdict.MALFORMED);
        byte[] gwShort = frame(GUEST, GATEWAY, TCP, 5000, 8000, SYN, 0x4000);
        assertThat(f.check(gwShort, 0, 14 + 20 + 3)).isEqualTo(Verdict.GATEWAY_PORT); // no room for ports
    }

    @Test
    void theAnnouncementIsAGratuitousArpFromTheGuestThatPasses() {
        byte[] a = FrameFilter.announcement("52:54:00:d5:01:02", "10.213.0.6");
        assertThat(a).hasSize(46);
        assertThat(ByteBuffer.wrap(a).getInt()).isEqualTo(42);
        assertThat(java.util.HexFormat.of().formatHex(a, 4, 46)).isEqualTo(
                "ffffffffffff" + "525400d50102" + "0806" + "0001" + "0800" + "06" + "04" + "0001"
                        + "525400d50102" + "0ad50006" + "000000000000" + "0ad50006");
        assertThat(filter().check(a, 4, 42)).isEqualTo(Verdict.ARP);
        assertThat(filter().allowed(a, 4, 42)).isTrue();
    }
}
