package dev.pyro.mcp;

import dev.pyro.NetworkRequest;
import dev.pyro.PyroException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The network doors a model may open through this server's tools (docs/security.md). A model
 * is not trusted: it may let a guest reach host ports (allow_host_ports), but never this
 * server's own HTTP port, and it may open non-public ranges (allow_net) only within those the
 * operator listed with {@code pyro mcp serve --allow-net CIDR}.
 */
public final class NetworkGate {
    private final List<String> operatorNets;
    private final Set<Integer> serverPorts = ConcurrentHashMap.newKeySet();

    /**
     * @param operatorNets the IPv4 ranges (CIDR) the operator lets tools open; empty: none
     * @throws IllegalArgumentException when one is not an IPv4 range
     */
    public NetworkGate(List<String> operatorNets) {
        try {
            // Validated and normalised the SDK's way: the same parser the guest's filter uses.
            this.operatorNets = NetworkRequest.egress().withAllowNet(operatorNets).allowNet();
        } catch (PyroException e) {
            throw new IllegalArgumentException(e.getMessage().replace("allow-net", "--allow-net"), e);
        }
    }

    /** No range opened by the operator. */
    public static NetworkGate closed() {
        return new NetworkGate(List.of());
    }

    /** The ranges the operator opened to tools. */
    public List<String> operatorNets() {
        return operatorNets;
    }

    /** Records a port this server listens on (HTTP), before it accepts requests there. */
    public void serving(int port) {
        serverPorts.add(port);
    }

    /**
     * Refuses what a tool call may not open.
     *
     * @throws ToolError naming the argument and who can open it
     */
    public NetworkRequest check(NetworkRequest request) {
        for (int port : request.allowHostPorts()) {
            if (serverPorts.contains(port)) {
                throw new ToolError("allow_host_ports", "allow_host_ports " + port + " is this MCP server's own port;"
                        + " a guest never reaches pyro's MCP endpoint. List only the ports of the service the guest"
                        + " needs, e.g. [8000]");
            }
        }
        List<String> outside = request.allowNetOutside(operatorNets);
        if (!outside.isEmpty()) {
            throw new ToolError("allow_net", "allow_net " + String.join(", ", outside) + " is not open to tools on this"
                    + " server " + (operatorNets.isEmpty() ? "(none is)" : "(only " + String.join(", ", operatorNets)
                    + ")") + "; the guest reaches public addresses without it. Only the operator can open a"
                    + " private range, by starting the server with: pyro mcp serve --allow-net CIDR");
        }
        return request;
    }
}
