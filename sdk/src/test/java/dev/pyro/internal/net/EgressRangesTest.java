package dev.pyro.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class EgressRangesTest {
    static Ipv4Range r(String cidr) {
        return Ipv4Range.parse(cidr).orElseThrow();
    }

    @Test
    void rangesParseNormaliseAndCompare() {
        assertThat(r("10.1.2.3/8")).isEqualTo(r("10.0.0.0/8"));
        assertThat(r("10.1.2.3/8").toString()).isEqualTo("10.0.0.0/8");
        assertThat(r("192.168.1.7").toString()).isEqualTo("192.168.1.7/32");
        assertThat(r("0.0.0.0/0").contains(Ipv4Range.parseAddress("255.255.255.255").orElseThrow())).isTrue();
        assertThat(r("10.0.0.0/8").contains(r("10.213.0.0/16"))).isTrue();
        assertThat(r("10.213.0.0/16").contains(r("10.0.0.0/8"))).isFalse();
        assertThat(r("10.213.0.0/16").overlaps(r("10.0.0.0/8"))).isTrue();
        assertThat(r("10.0.0.0/8").overlaps(r("11.0.0.0/8"))).isFalse();
        for (String bad : List.of("", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/33", "1.2.3.4/-1", "01.2.3.4",
                "1.2.3.4/", "::1", "a.b.c.d", " 1.2.3.4/8x", "1.2.3.4/008")) {
            assertThat(Ipv4Range.parse(bad)).as(bad).isEmpty();
        }
        assertThat(Ipv4Range.minimal(List.of(r("10.0.0.0/8"), r("10.1.0.0/16"), r("192.168.0.0/16"), r("10.0.0.0/8"),
                r("1.0.0.0/8")))).containsExactly(r("1.0.0.0/8"), r("10.0.0.0/8"), r("192.168.0.0/16"));
    }

    @Test
    void noBlockedRangeHoldsAnother() {
        List<Ipv4Range> blocked = EgressRanges.ranges();
        assertThat(Ipv4Range.minimal(blocked)).containsExactlyInAnyOrderElementsOf(blocked);
    }

    @Test
    void whatMustNeverBeReachedIsBlockedAndTheDocumentationRangesArePublic() {
        for (String a : List.of("169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "127.0.0.1",
                "0.0.0.0", "224.0.0.1", "255.255.255.255")) {
            assertThat(EgressRanges.isPublic(Ipv4Range.parseAddress(a).orElseThrow())).as(a).isFalse();
        }
        for (String a : List.of("192.0.2.1", "198.51.100.1", "203.0.113.1", "1.1.1.1")) {
            assertThat(EgressRanges.isPublic(Ipv4Range.parseAddress(a).orElseThrow())).as(a).isTrue();
        }
        assertThat(EgressRanges.NEVER_OPEN).allMatch(n -> EgressRanges.ranges().contains(n));
        assertThat(AddressPool.RANGE.toString()).isEqualTo(AddressPool.CIDR);
    }
}
