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
        assertThatThrownBy(() -> new NetworkRequest(NetworkPolicy.OFF, "auto", true, List.of()))
                .hasMessageContaining("allow-host needs a network").hasMessageContaining("--network");
        assertThatThrownBy(() -> new NetworkRequest(NetworkPolicy.EGRESS, "auto", false,
                List.of(new PortMapping(8080, 80)))).hasMessageContaining("egress+published-ports");
        assertThatThrownBy(() -> NetworkRequest.egress().withBackend("slirp"))
                .hasMessageContaining("unknown network back end 'slirp'").hasMessageContaining("auto, user, tap");
        assertThatThrownBy(() -> NetworkRequest.egress().withPublish(List.of(new PortMapping(8080, 80),
                new PortMapping(8080, 81)))).hasMessageContaining("host port 8080 is published twice");
        NetworkRequest published = NetworkRequest.egress().withPublish(List.of(new PortMapping(8080, 80)));
        assertThat(published.policy()).isEqualTo(NetworkPolicy.EGRESS_PUBLISHED_PORTS);
    }
}
