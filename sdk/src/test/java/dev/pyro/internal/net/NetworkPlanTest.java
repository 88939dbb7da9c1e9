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
    /** A plan in slot 5 (gateway 10.213.0.21, guest 10.213.0.22) with DNS at its gateway. */
    static NetworkPlan plan(Backend backend, List<Integer> hostPorts, List<PortMapping> publish, String... allowNet) {
        return new NetworkPlan(publish.isEmpty() ? NetworkPolicy.EGRESS : NetworkPolicy.EGRESS_PUBLISHED_PORTS, backend,
                5, Optional.of("10.213.0.21"), hostPorts, publish,
                backend == Backend.TAP ? Optional.of(TapNetwork.deviceName("a1b2c3d4")) : Optional.empty(),
                java.util.Arrays.stream(allowNet).map(r -> Ipv4Range.parse(r).orElseThrow()).toList());
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
        NetworkPlan p = plan(Backend.USER, List.of(8000, 5432), List.of(new PortMapping(8080, 80)), "192.168.1.0/24");
        assertThat(NetworkPlan.fromJson(p.toJson())).isEqualTo(p);
        assertThat(p.dnsAtGateway()).isTrue();
        assertThat(p.kernelArgs()).containsExactly("pyro.net=10.213.0.22/30,10.213.0.21,10.213.0.21",
                "pyro.host=10.213.0.21");
        assertThat(plan(Backend.USER, List.of(), List.of()).kernelArgs()).noneMatch(a -> a.startsWith("pyro.host="));
        assertThat(p.info().hostAlias()).contains("10.213.0.21");
        assertThat(p.info().guestAddress()).contains("10.213.0.22/30");
        assertThat(p.info().allowHostPorts()).containsExactly(8000, 5432);
        assertThat(p.info().allowNet()).containsExactly("192.168.1.0/24");
        assertThat(p.request()).isEqualTo(new NetworkRequest(NetworkPolicy.EGRESS_PUBLISHED_PORTS, "user",
                List.of(8000, 5432), List.of(new PortMapping(8080, 80)), List.of("192.168.1.0/24")));
    }

    @Test
    void aPlanRecordedWhenAllowHostMeantAllOfLoopbackReadsAsNoHostAccess() {
        NetworkPlan old = NetworkPlan.fromJson("{\"policy\":\"egress\",\"backend\":\"tap\",\"slot\":5,"
                + "\"dns\":\"192.168.1.1\",\"allow_host\":true,\"publish\":[],\"tap_device\":\"pta1b2c3d4\"}");
        assertThat(old.allowHost()).isFalse();
        assertThat(old.allowHostPorts()).isEmpty();
        assertThat(old.allowNet()).isEmpty();
        assertThat(old.dnsAtGateway()).isFalse();
        assertThat(old.kernelArgs()).noneMatch(a -> a.startsWith("pyro.host="));
    }

    @Test
    void passtClosesTheLoopbackHoleUnlessTheHostIsAllowed() {
        List<String> closed = Passt.argv(Path.of("/usr/bin/passt"), plan(Backend.USER, List.of(), List.of()),
                Path.of("/r/net.sock"), Path.of("/r/passt.log"), "0:0");
        assertThat(closed).contains("--no-map-gw", "--one-off", "--foreground", "--no-dhcp");
        assertThat(closed).containsSequence("--tcp-ports", "none").containsSequence("--udp-ports", "none")
                .containsSequence("--address", "10.213.0.22").containsSequence("--gateway", "10.213.0.21")
                .containsSequence("--runas", "0:0").containsSequence("--socket", "/r/net.sock")
                .containsSequence("--mac-addr", "52:54:00:d5:00:05");
        List<String> open = Passt.argv(Path.of("/usr/bin/passt"), plan(Backend.USER, List.of(8000),
                List.of(new PortMapping(8080, 80), new PortMapping(9000, 9001))), Path.of("/r/net.sock"),
                Path.of("/r/passt.log"), "1000:1000");
        assertThat(open).doesNotContain("--no-map-gw");
        assertThat(open).containsSequence("--tcp-ports", "127.0.0.1/8080:80")
                .containsSequence("--tcp-ports", "127.0.0.1/9000:9001");
    }
}
