package dev.pyro.mcp.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.NetworkPolicy;
import dev.pyro.NetworkRequest;
import dev.pyro.PortMapping;
import dev.pyro.PyroException;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolError;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The MCP network arguments map onto the SDK with the CLI's rules (NetworkRequest.of). */
class NetworkArgumentsTest {
    static NetworkRequest network(Map<String, Object> raw) {
        return MachineSchemas.network(Arguments.of("vm_run", raw, MachineSchemas.networkProperties().keySet()));
    }

    @Test
    void offUnlessAsked() {
        assertThat(network(Map.of())).isEqualTo(NetworkRequest.OFF);
        assertThat(network(Map.of("network", false))).isEqualTo(NetworkRequest.OFF);
    }

    @Test
    void theShortFormsImplyTheirPolicy() {
        assertThat(network(Map.of("network", true)).policy()).isEqualTo(NetworkPolicy.EGRESS);
        NetworkRequest host = network(Map.of("allow_host", true));
        assertThat(host.policy()).isEqualTo(NetworkPolicy.EGRESS);
        assertThat(host.allowHost()).isTrue();
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
}
