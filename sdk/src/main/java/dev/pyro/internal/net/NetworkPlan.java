package dev.pyro.internal.net;

import dev.pyro.NetworkInfo;
import dev.pyro.NetworkPolicy;
import dev.pyro.PortMapping;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A VM's network, decided before it boots: back end, addresses, what the guest may reach, and
 * the published ports. Stored with a machine (so a restart gets the same addresses) and in the
 * VM's engine reference (so any process can tear the host side down).
 *
 * @param policy egress or egress+published-ports (never off: no plan then)
 * @param backend user (passt) or tap
 * @param slot the VM's /30 in {@link AddressPool}
 * @param dns the guest's nameserver (the gateway, which forwards to the host's resolver; older plans
 *     of the tap back end name the host's resolver itself); empty when there is none to offer
 * @param allowHostPorts the host loopback ports the guest reaches at the gateway address, named
 *     host.pyro.internal; no other port of the host answers there
 * @param publish host ports on 127.0.0.1 forwarded to guest ports
 * @param tapDevice the TAP device's name (tap back end)
 * @param allowNet non-public ranges opened to the guest beside the public internet
 */
public record NetworkPlan(NetworkPolicy policy, Backend backend, int slot, Optional<String> dns,
        List<Integer> allowHostPorts, List<PortMapping> publish, Optional<String> tapDevice, List<Ipv4Range> allowNet) {
    private static final JsonMapper JSON = JsonMapper.shared();

    public NetworkPlan {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(dns, "dns");
        allowHostPorts = List.copyOf(allowHostPorts);
        publish = List.copyOf(publish);
        Objects.requireNonNull(tapDevice, "tapDevice");
        allowNet = List.copyOf(allowNet);
        if (!policy.enabled()) {
            throw new IllegalArgumentException("a network plan needs a policy that enables the network");
        }
        if (slot < 0 || slot >= AddressPool.SLOTS) {
            throw new IllegalArgumentException("slot " + slot + " is outside the address pool");
        }
    }

    /** Whether the guest reaches any host port as host.pyro.internal. */
    public boolean allowHost() {
        return !allowHostPorts.isEmpty();
    }

    /** Whether the guest's nameserver is the gateway (which forwards to the host's resolver). */
    public boolean dnsAtGateway() {
        return dns.filter(gateway()::equals).isPresent();
    }

    public String guestAddress() {
        return AddressPool.guest(slot);
    }

    public String gateway() {
        return AddressPool.gateway(slot);
    }

    public String mac() {
        return AddressPool.mac(slot);
    }

    /**
     * The guest side, on the kernel command line the agent reads (docs/guest-protocol.md):
     * {@code pyro.net=<ip>/<prefix>,<gateway>[,<dns>]} and, with allow-host,
     * {@code pyro.host=<gateway>} for host.pyro.internal.
     */
    public List<String> kernelArgs() {
        List<String> args = new ArrayList<>();
        args.add("pyro.net=" + guestAddress() + "/" + AddressPool.PREFIX + "," + gateway() + dns.map(d -> "," + d).orElse(""));
        if (allowHost()) {
            args.add("pyro.host=" + gateway());
        }
        return args;
    }

    /** The request this plan fulfils (for the checks before a restart). */
    public dev.pyro.NetworkRequest request() {
        return new dev.pyro.NetworkRequest(policy, backend.wireName(), allowHostPorts, publish,
                allowNet.stream().map(Ipv4Range::toString).toList());
    }

    public NetworkInfo info() {
        return new NetworkInfo(policy, Optional.of(backend.wireName()),
                Optional.of(guestAddress() + "/" + AddressPool.PREFIX), Optional.of(gateway()), dns, allowHostPorts,
                allowHost() ? Optional.of(gateway()) : Optional.empty(), publish, tapDevice,
                allowNet.stream().map(Ipv4Range::toString).toList());
    }

    public String toJson() {
        return JSON.writeValueAsString(toNode());
    }

    public ObjectNode toNode() {
        ObjectNode o = JSON.createObjectNode();
        o.put("policy", policy.wireName());
        o.put("backend", backend.wireName());
        o.put("slot", slot);
        dns.ifPresent(d -> o.put("dns", d));
        ArrayNode hostPorts = o.putArray("allow_host_ports");
        allowHostPorts.forEach(hostPorts::add);
        ArrayNode ports = o.putArray("publish");
        for (PortMapping p : publish) {
            ports.addObject().put("host_port", p.hostPort()).put("guest_port", p.guestPort());
        }
        tapDevice.ifPresent(t -> o.put("tap_device", t));
        ArrayNode nets = o.putArray("allow_net");
        allowNet.forEach(r -> nets.add(r.toString()));
        return o;
    }

    /** Reads {@link #toJson()}'s form; IllegalArgumentException if it is not one. */
    public static NetworkPlan fromJson(String json) {
        try {
            return fromNode(JSON.readTree(json));
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not a network plan: " + e.getOriginalMessage());
        }
    }

    /**
     * Reads {@link #toNode()}'s form. A plan recorded before host access went by port
     * ({@code "allow_host": true} without {@code allow_host_ports}) reads as no host access:
     * it meant every port of the host's loopback, which is no longer offered.
     */
    public static NetworkPlan fromNode(JsonNode o) {
        try {
            List<PortMapping> ports = new ArrayList<>();
            o.path("publish").forEach(p -> ports.add(new PortMapping(p.path("host_port").asInt(), p.path("guest_port").asInt())));
            List<Integer> hostPorts = new ArrayList<>();
            o.path("allow_host_ports").forEach(p -> hostPorts.add(p.asInt()));
            List<Ipv4Range> nets = new ArrayList<>();
            o.path("allow_net").forEach(n -> nets.add(Ipv4Range.parse(n.asString())
                    .orElseThrow(() -> new IllegalArgumentException("allow_net " + n + " is not an IPv4 range"))));
            JsonNode dns = o.get("dns");
            JsonNode tap = o.get("tap_device");
            return new NetworkPlan(NetworkPolicy.parse(o.path("policy").asString()), Backend.of(o.path("backend").asString()),
                    o.path("slot").asInt(-1), dns == null || dns.isNull() ? Optional.empty() : Optional.of(dns.asString()),
                    hostPorts, ports, tap == null || tap.isNull() ? Optional.empty() : Optional.of(tap.asString()), nets);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a network plan: " + e.getMessage(), e);
        }
    }
}
