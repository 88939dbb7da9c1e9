package dev.pyro;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Whether and how a guest reaches the network. The default is {@link #OFF}: the VM has no
 * network device at all.
 */
public enum NetworkPolicy {
    /** No network device in the guest. */
    OFF("off"),
    /** Outbound TCP and UDP through NAT; nothing reaches the guest from outside. */
    EGRESS("egress"),
    /** Egress, plus host ports on 127.0.0.1 forwarded to guest ports ({@link PortMapping}). */
    EGRESS_PUBLISHED_PORTS("egress+published-ports");

    private final String wireName;

    NetworkPolicy(String wireName) {
        this.wireName = wireName;
    }

    /** The name used by the CLI, the MCP tools and JSON output. */
    public String wireName() {
        return wireName;
    }

    /** True for the policies that give the guest a network device. */
    public boolean enabled() {
        return this != OFF;
    }

    /**
     * Parses a wire name ({@code off}, {@code egress}, {@code egress+published-ports}).
     *
     * @throws PyroException INVALID_ARGUMENT naming the accepted values
     */
    public static NetworkPolicy parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (NetworkPolicy p : values()) {
            if (p.wireName.equals(n)) {
                return p;
            }
        }
        throw PyroException.invalidArgument("unknown network policy '" + name + "'; use one of "
                + Arrays.stream(values()).map(NetworkPolicy::wireName).collect(Collectors.joining(", ")));
    }
}
