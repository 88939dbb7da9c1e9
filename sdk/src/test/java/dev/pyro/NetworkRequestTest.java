package dev.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkRequestTest {
    @Test
    void policiesParseByWireNameAndNameTheChoicesOtherwise() {
        assertThat(NetworkPolicy.parse("off")).isEqualTo(NetworkPolicy.OFF);
        assertThat(NetworkPolicy.parse(" Egress ")).isEqualTo(NetworkPolicy.EGRESS);
        assertThat(NetworkPolicy.parse("egress+published-ports")).isEqualTo(NetworkPolicy.EGRESS_PUBLISHED_PORTS);
        assertThatThrownBy(() -> NetworkPolicy.parse("on")).isInstanceOf(PyroException.class)
                .hasMessageContaining("unknown network policy 'on'").hasMessageContaining("off, egress, egress+published-ports");
    }

    @Test
    void portMappingsParseAndRefuseWhatCannotWork() {
        assertThat(PortMapping.parse("8080:80")).isEqualTo(new PortMapping(8080, 80));
        assertThat(PortMapping.parse("9000")).isEqualTo(new PortMapping(9000, 9000));
        assertThat(PortMapping.parse("127.0.0.1:8080:80")).isEqualTo(new PortMapping(8080, 80));
        assertThat(new PortMapping(8080, 80).toString()).isEqualTo("127.0.0.1:8080->80");
        assertThatThrownBy(() -> PortMapping.parse("70000:80")).hasMessageContaining("host port 70000 is out of range");
        assertThatThrownBy(() -> PortMapping.parse("80:0")).hasMessageContaining("guest port 0 is out of range");
        assertThatThrownBy(() -> PortMapping.parse("0.0.0.0:80:80")).hasMessageContaining("HOST_PORT:GUEST_PORT");
        assertThatThrownBy(() -> PortMapping.parse("http")).hasMessageContaining("expected HOST_PORT:GUEST_PORT");
    }

    @Test
    void offIsTheDefaultAndHasNoDevice() {
        assertThat(RunRequest.builder("debian:12", "true").build().network()).isEqualTo(NetworkRequest.OFF);
        assertThat(MachineRequest.builder("debian:12").build().network()).isEqualTo(NetworkRequest.OFF);
        assertThat(NetworkRequest.OFF.enabled()).isFalse();
        assertThat(NetworkInfo.OFF.enabled()).isFalse();
    }

    @Test
    void contradictionsAreRefusedWithTheFix() {
        assertThatThrownBy(() -> new NetworkRequest(NetworkPolicy.OFF, "auto", List.of(8000), List.of(), List.of()))
                .hasMessageContaining("allow-host needs a network").hasMessageContaining("--network");
        assertThatThrownBy(() -> new NetworkRequest(NetworkPolicy.OFF, "auto", List.of(), List.of(),
                List.of("192.168.1.0/24"))).hasMessageContaining("allow-net needs a network");
        assertThatThrownBy(() -> new NetworkRequest(NetworkPolicy.EGRESS, "auto", List.of(),
                List.of(new PortMapping(8080, 80)), List.of())).hasMessageContaining("egress+published-ports");
        assertThatThrownBy(() -> NetworkRequest.egress().withBackend("slirp"))
                .hasMessageContaining("unknown network back end 'slirp'").hasMessageContaining("auto, user, tap");
        assertThatThrownBy(() -> NetworkRequest.egress().withPublish(List.of(new PortMapping(8080, 80),
                new PortMapping(8080, 81)))).hasMessageContaining("host port 8080 is published twice");
        NetworkRequest published = NetworkRequest.egress().withPublish(List.of(new PortMapping(8080, 80)));
        assertThat(published.policy()).isEqualTo(NetworkPolicy.EGRESS_PUBLISHED_PORTS);
    }

    @Test
    void hostAccessIsByPortAndEachPortIsChecked() {
        NetworkRequest r = NetworkRequest.of(null, false, List.of(8000, 5432, 8000), List.of(), List.of(), null);
        assertThat(r.policy()).isEqualTo(NetworkPolicy.EGRESS);
        assertThat(r.allowHostPorts()).containsExactly(8000, 5432);
        assertThat(r.allowHost()).isTrue();
        assertThat(NetworkRequest.egress().allowHost()).isFalse();
        assertThatThrownBy(() -> NetworkRequest.egress().withAllowHostPorts(List.of(0)))
                .hasMessageContaining("allow-host port 0 is out of range").hasMessageContaining("--allow-host 8000,5432");
        assertThatThrownBy(() -> NetworkRequest.egress().withAllowHostPorts(List.of(65536)))
                .hasMessageContaining("out of range");
        List<Integer> many = java.util.stream.IntStream.rangeClosed(1, NetworkRequest.MAX_LISTED + 1).boxed().toList();
        assertThatThrownBy(() -> NetworkRequest.egress().withAllowHostPorts(many)).hasMessageContaining("too many");
    }

    @Test
    void allowNetTakesIpv4RangesNormalisedAndNeverTheHostItself() {
        NetworkRequest r = NetworkRequest.of(null, false, List.of(), List.of(),
                List.of("10.1.2.3/8", "192.168.1.7", "10.0.0.0/8"), "auto");
        assertThat(r.policy()).isEqualTo(NetworkPolicy.EGRESS);
        assertThat(r.allowNet()).containsExactly("10.0.0.0/8", "192.168.1.7/32");
        for (String bad : List.of("fe80::/10", "10.0.0.0/33", "10.0.0/8", "010.0.0.0/8", "10.0.0.0/", "any", "")) {
            assertThatThrownBy(() -> NetworkRequest.egress().withAllowNet(List.of(bad)))
                    .as(bad).hasMessageContaining("is not an IPv4 range").hasMessageContaining("CIDR");
        }
        for (String host : List.of("127.0.0.0/8", "127.0.0.1", "0.0.0.0/0", "0.0.0.0/8", "96.0.0.0/3")) {
            assertThatThrownBy(() -> NetworkRequest.egress().withAllowNet(List.of(host)))
                    .as(host).hasMessageContaining("includes the host itself").hasMessageContaining("--allow-host");
        }
        assertThat(r.allowNetOutside(List.of("10.0.0.0/8"))).containsExactly("192.168.1.7/32");
        assertThat(r.allowNetOutside(List.of("10.0.0.0/8", "192.168.0.0/16"))).isEmpty();
        assertThat(r.allowNetOutside(List.of())).containsExactly("10.0.0.0/8", "192.168.1.7/32");
        assertThat(r.allowNetOutside(List.of("10.0.0.0/9"))).contains("10.0.0.0/8");
    }
}
