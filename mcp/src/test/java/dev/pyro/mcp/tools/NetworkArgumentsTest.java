package dev.pyro.mcp.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.NetworkPolicy;
import dev.pyro.NetworkRequest;
import dev.pyro.PortMapping;
import dev.pyro.PyroException;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.NetworkGate;
import dev.pyro.mcp.ToolError;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The MCP network arguments map onto the SDK with the CLI's rules (NetworkRequest.of). */
class NetworkArgumentsTest {
    static NetworkRequest network(Map<String, Object> raw) {
        return network(raw, NetworkGate.closed());
    }

    static NetworkRequest network(Map<String, Object> raw, NetworkGate gate) {
        return MachineSchemas.network(Arguments.of("vm_run", raw, MachineSchemas.networkProperties().keySet()), gate);
    }

    @Test
    void offUnlessAsked() {
        assertThat(network(Map.of())).isEqualTo(NetworkRequest.OFF);
        assertThat(network(Map.of("network", false))).isEqualTo(NetworkRequest.OFF);
    }

    @Test
    void theShortFormsImplyTheirPolicy() {
        assertThat(network(Map.of("network", true)).policy()).isEqualTo(NetworkPolicy.EGRESS);
        NetworkRequest host = network(Map.of("allow_host_ports", List.of(8000, 5432.0)));
        assertThat(host.policy()).isEqualTo(NetworkPolicy.EGRESS);
        assertThat(host.allowHostPorts()).containsExactly(8000, 5432);
        NetworkRequest published = network(Map.of("publish", List.of("8080:8000"), "network_backend", "tap"));
        assertThat(published.policy()).isEqualTo(NetworkPolicy.EGRESS_PUBLISHED_PORTS);
        assertThat(published.publish()).containsExactly(new PortMapping(8080, 8000));
        assertThat(published.backend()).isEqualTo("tap");
    }

    @Test
    void badNetworkArgumentsAreActionableErrors() {
        assertThatThrownBy(() -> network(Map.of("network_policy", "on"))).isInstanceOf(PyroException.class)
                .hasMessageContaining("off, egress, egress+published-ports");
        assertThatThrownBy(() -> network(Map.of("network_policy", "egress", "publish", List.of("8080:80"))))
                .hasMessageContaining("egress+published-ports");
        assertThatThrownBy(() -> network(Map.of("network_policy", "off", "network", true)))
                .hasMessageContaining("contradicts");
        assertThatThrownBy(() -> network(Map.of("publish", List.of("99999:80")))).hasMessageContaining("out of range");
        assertThatThrownBy(() -> network(Map.of("publish", "8080:80"))).isInstanceOf(ToolError.class)
                .hasMessageContaining("array of strings");
        assertThatThrownBy(() -> network(Map.of("publish", List.of(8080)))).isInstanceOf(ToolError.class)
                .hasMessageContaining("element 0");
        assertThatThrownBy(() -> network(Map.of("network_backend", "tap"))).hasMessageContaining("needs a network");
    }

    @Test
    void hostPortsAreIntegersInRange() {
        assertThatThrownBy(() -> network(Map.of("allow_host_ports", 8000))).isInstanceOf(ToolError.class)
                .hasMessageContaining("array of integers").hasMessageContaining("[8000]");
        assertThatThrownBy(() -> network(Map.of("allow_host_ports", List.of("8000")))).isInstanceOf(ToolError.class)
                .hasMessageContaining("element 0");
        assertThatThrownBy(() -> network(Map.of("allow_host_ports", List.of(80.5)))).isInstanceOf(ToolError.class)
                .hasMessageContaining("only integers");
        assertThatThrownBy(() -> network(Map.of("allow_host_ports", List.of(0)))).isInstanceOf(PyroException.class)
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> network(Map.of("allow_host", true))).isInstanceOf(ToolError.class)
                .hasMessageContaining("unknown argument 'allow_host'").hasMessageContaining("allow_host_ports");
    }

    @Test
    void theServersOwnPortIsNeverAHostPortForAGuest() {
        NetworkGate gate = NetworkGate.closed();
        assertThat(network(Map.of("allow_host_ports", List.of(8765)), gate).allowHostPorts()).containsExactly(8765);
        gate.serving(8765);
        assertThatThrownBy(() -> network(Map.of("allow_host_ports", List.of(8000, 8765)), gate))
                .isInstanceOf(ToolError.class).hasMessageContaining("8765 is this MCP server's own port");
    }

    @Test
    void aModelOpensOnlyTheRangesTheOperatorOpened() {
        assertThatThrownBy(() -> network(Map.of("allow_net", List.of("169.254.169.254/32"))))
                .isInstanceOf(ToolError.class).hasMessageContaining("allow_net 169.254.169.254/32 is not open to tools")
                .hasMessageContaining("(none is)").hasMessageContaining("pyro mcp serve --allow-net CIDR");
        NetworkGate gate = new NetworkGate(List.of("192.168.1.0/24"));
        NetworkRequest lan = network(Map.of("allow_net", List.of("192.168.1.32/27")), gate);
        assertThat(lan.policy()).isEqualTo(NetworkPolicy.EGRESS);
        assertThat(lan.allowNet()).containsExactly("192.168.1.32/27");
        assertThatThrownBy(() -> network(Map.of("allow_net", List.of("192.168.0.0/16")), gate))
                .isInstanceOf(ToolError.class).hasMessageContaining("(only 192.168.1.0/24)");
        assertThatThrownBy(() -> new NetworkGate(List.of("127.0.0.0/8"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("includes the host itself");
        assertThatThrownBy(() -> new NetworkGate(List.of("lan"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--allow-net 'lan' is not an IPv4 range");
    }
}
