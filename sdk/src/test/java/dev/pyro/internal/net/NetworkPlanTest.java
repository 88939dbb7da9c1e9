package dev.pyro.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.NetworkPolicy;
import dev.pyro.NetworkRequest;
import dev.pyro.PortMapping;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NetworkPlanTest {
    static NetworkPlan plan(Backend backend, boolean allowHost, List<PortMapping> publish) {
        return new NetworkPlan(publish.isEmpty() ? NetworkPolicy.EGRESS : NetworkPolicy.EGRESS_PUBLISHED_PORTS, backend,
                5, Optional.of("10.213.0.21"), allowHost, publish,
                backend == Backend.TAP ? Optional.of(TapNetwork.deviceName("a1b2c3d4")) : Optional.empty());
    }

    @Test
    void eachSlotIsItsOwnSlash30() {
        assertThat(AddressPool.gateway(0)).isEqualTo("10.213.0.1");
        assertThat(AddressPool.guest(0)).isEqualTo("10.213.0.2");
        assertThat(AddressPool.gateway(5)).isEqualTo("10.213.0.21");
        assertThat(AddressPool.guest(AddressPool.SLOTS - 1)).isEqualTo("10.213.255.254");
        for (int slot : List.of(0, 1, 63, 64, 5000, AddressPool.SLOTS - 1)) {
            assertThat(AddressPool.slotOf(AddressPool.guest(slot) + "/30")).isEqualTo(slot);
            assertThat(AddressPool.slotOf(AddressPool.gateway(slot))).isEqualTo(slot);
        }
        assertThat(AddressPool.slotOf("192.168.1.2")).isEqualTo(-1);
        assertThat(AddressPool.mac(258)).isEqualTo("52:54:00:d5:01:02");
    }

    @Test
    void picksAreStablePerIdAndSkipTakenSlots() {
        int first = AddressPool.pick("a1b2c3d4", Set.of());
        assertThat(AddressPool.pick("a1b2c3d4", Set.of())).isEqualTo(first);
        int second = AddressPool.pick("a1b2c3d4", Set.of(first));
        assertThat(second).isNotEqualTo(first).isBetween(0, AddressPool.SLOTS - 1);
        Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            taken.add(AddressPool.pick("id" + i, taken));
        }
        assertThat(taken).hasSize(200);
    }

    @Test
    void planRoundTripsThroughJsonAndTellsTheGuestItsAddresses() {
        NetworkPlan p = plan(Backend.USER, true, List.of(new PortMapping(8080, 80)));
        assertThat(NetworkPlan.fromJson(p.toJson())).isEqualTo(p);
        assertThat(p.kernelArgs()).containsExactly("pyro.net=10.213.0.22/30,10.213.0.21,10.213.0.21",
                "pyro.host=10.213.0.21");
        assertThat(plan(Backend.USER, false, List.of()).kernelArgs()).noneMatch(a -> a.startsWith("pyro.host="));
        assertThat(p.info().hostAlias()).contains("10.213.0.21");
        assertThat(p.info().guestAddress()).contains("10.213.0.22/30");
        assertThat(p.request()).isEqualTo(new NetworkRequest(NetworkPolicy.EGRESS_PUBLISHED_PORTS, "user", true,
                List.of(new PortMapping(8080, 80))));
    }

    @Test
    void passtClosesTheLoopbackHoleUnlessTheHostIsAllowed() {
        List<String> closed = Passt.argv(Path.of("/usr/bin/passt"), plan(Backend.USER, false, List.of()),
                Path.of("/r/net.sock"), Path.of("/r/passt.log"), "0:0");
        assertThat(closed).contains("--no-map-gw", "--one-off", "--foreground", "--no-dhcp");
        assertThat(closed).containsSequence("--tcp-ports", "none").containsSequence("--udp-ports", "none")
                .containsSequence("--address", "10.213.0.22").containsSequence("--gateway", "10.213.0.21")
                .containsSequence("--runas", "0:0").containsSequence("--socket", "/r/net.sock")
                .containsSequence("--mac-addr", "52:54:00:d5:00:05");
        List<String> open = Passt.argv(Path.of("/usr/bin/passt"), plan(Backend.USER, true,
                List.of(new PortMapping(8080, 80), new PortMapping(9000, 9001))), Path.of("/r/net.sock"),
                Path.of("/r/passt.log"), "1000:1000");
        assertThat(open).doesNotContain("--no-map-gw");
        assertThat(open).containsSequence("--tcp-ports", "127.0.0.1/8080:80")
                .containsSequence("--tcp-ports", "127.0.0.1/9000:9001");
    }

    @Test
    void tapRulesNatTheGuestAndKeepItOffTheHostUnlessAllowed() {
        assertThat(TapNetwork.deviceName("0123456789abcdef")).hasSizeLessThanOrEqualTo(15).startsWith("pt");
        String dev = TapNetwork.deviceName("a1b2c3d4");
        String closed = TapNetwork.ruleset(plan(Backend.TAP, false, List.of()), dev);
        assertThat(closed).contains("table ip pyro_" + dev,
                "ip saddr 10.213.0.22 oifname != \"" + dev + "\" masquerade",
                "iifname \"" + dev + "\" drop", "oifname \"" + dev + "\" drop");
        assertThat(closed).doesNotContain("dnat to 127.0.0.1");
        String open = TapNetwork.ruleset(plan(Backend.TAP, true, List.of(new PortMapping(8080, 80))), dev);
        assertThat(open).contains("iifname \"" + dev + "\" ip daddr 10.213.0.21 meta l4proto { tcp, udp } dnat to 127.0.0.1",
                "ip daddr 127.0.0.1 tcp dport 8080 dnat to 10.213.0.22:80",
                "oifname \"" + dev + "\" ip saddr 127.0.0.1 masquerade");
    }
}
