package dev.pyro.cli;

import dev.pyro.NetworkRequest;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The network options of `run`, `vm create` and `workspace create` (docs/networking.md). */
final class NetworkOptions {
    @Option(names = "--network-policy", paramLabel = "POLICY",
            description = "off (default: no network device), egress (outbound TCP/UDP through NAT) or"
                    + " egress+published-ports (egress plus --publish).")
    String policy;

    @Option(names = "--network", description = "Short for --network-policy egress.")
    boolean network;

    @Option(names = "--allow-host", paramLabel = "PORT[,PORT...]", split = ",",
            description = "Let the guest reach these ports of the host's loopback as host.pyro.internal:PORT, e.g."
                    + " --allow-host 8000,5432 (repeatable; no other host port is reachable; implies --network).")
    List<Integer> allowHost = new ArrayList<>();

    @Option(names = "--allow-net", paramLabel = "CIDR", split = ",",
            description = "Let the guest reach this IPv4 range although it is not public (a LAN, a company"
                    + " network), e.g. --allow-net 192.168.1.0/24 (repeatable; implies --network). Without it the"
                    + " guest reaches public addresses only; the host's own addresses stay closed either way.")
    List<String> allowNet = new ArrayList<>();

    @Option(names = "--publish", paramLabel = "HOST_PORT:GUEST_PORT",
            description = "Forward 127.0.0.1:HOST_PORT on the host to GUEST_PORT in the guest (repeatable;"
                    + " implies --network-policy egress+published-ports).")
    List<String> publish = new ArrayList<>();

    @Option(names = "--network-backend", paramLabel = "NAME",
            description = "auto (default: user), user (passt, no privileges) or tap (TAP device + nftables NAT,"
                    + " needs root).")
    String backend = "auto";

    NetworkRequest request() {
        return NetworkRequest.of(policy, network, allowHost, publish, allowNet, backend);
    }
}
