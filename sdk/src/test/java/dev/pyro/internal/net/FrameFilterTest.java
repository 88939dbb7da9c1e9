package dev.pyro.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FrameFilterTest {
    /** An Ethernet frame with an IPv4 header to {@code dst}. */
    static byte[] ipv4To(int a, int b, int c, int d) {
        byte[] f = new byte[14 + 20 + 20];
        f[12] = 0x08;
        f[13] = 0x00;
        f[14] = 0x45;
        f[30] = (byte) a;
        f[31] = (byte) b;
        f[32] = (byte) c;
        f[33] = (byte) d;
        return f;
    }

    @Test
    void ordinaryTrafficAndArpPass() {
        assertThat(FrameFilter.allowed(ipv4To(192, 168, 213, 2), 54)).isTrue();
        assertThat(FrameFilter.allowed(ipv4To(10, 213, 0, 1), 54)).isTrue(); // the gateway: passt decides (map-gw)
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertThat(FrameFilter.allowed(arp, 42)).isTrue();
    }

    @Test
    void theAnnouncementIsAGratuitousArpFromTheGuestThatPasses() {
        byte[] a = FrameFilter.announcement("52:54:00:d5:01:02", "10.213.0.6");
        assertThat(a).hasSize(46);
        assertThat(java.nio.ByteBuffer.wrap(a).getInt()).isEqualTo(42);
        assertThat(java.util.HexFormat.of().formatHex(a, 4, 46)).isEqualTo(
                "ffffffffffff" + "525400d50102" + "0806" + "0001" + "0800" + "06" + "04" + "0001"
                        + "525400d50102" + "0ad50006" + "000000000000" + "0ad50006");
        assertThat(FrameFilter.allowed(a, 4, 42)).isTrue();
    }

    @Test
    void framesForTheHostsLoopbackNeverPass() {
        assertThat(FrameFilter.allowed(ipv4To(127, 0, 0, 1), 54)).isFalse();
        assertThat(FrameFilter.allowed(ipv4To(127, 1, 2, 3), 54)).isFalse();
        assertThat(FrameFilter.allowed(ipv4To(0, 0, 0, 0), 54)).isFalse();
    }

    @Test
    void whatPasstDoesNotNeedIsDropped() {
        byte[] v6 = ipv4To(1, 1, 1, 1);
        v6[12] = (byte) 0x86;
        v6[13] = (byte) 0xdd;
        assertThat(FrameFilter.allowed(v6, 54)).isFalse();
        byte[] vlan = ipv4To(1, 1, 1, 1);
        vlan[12] = (byte) 0x81;
        vlan[13] = 0x00;
        assertThat(FrameFilter.allowed(vlan, 54)).isFalse();
        assertThat(FrameFilter.allowed(ipv4To(1, 1, 1, 1), 20)).isFalse(); // truncated IPv4 header
        assertThat(FrameFilter.allowed(new byte[10], 10)).isFalse();
    }
}
