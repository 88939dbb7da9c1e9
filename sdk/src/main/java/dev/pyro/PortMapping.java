package dev.pyro;

/**
 * A published port: connections to {@code 127.0.0.1:hostPort} on the host reach
 * {@code guestPort} in the guest. Published ports are bound to the host's loopback only.
 *
 * @param hostPort the host port on 127.0.0.1 (1..65535)
 * @param guestPort the guest port (1..65535)
 */
public record PortMapping(int hostPort, int guestPort) {
    /** The only host address published ports bind to. */
    public static final String HOST_ADDRESS = "127.0.0.1";

    public PortMapping {
        check("host", hostPort);
        check("guest", guestPort);
    }

    private static void check(String side, int port) {
        if (port < 1 || port > 65535) {
            throw PyroException.invalidArgument(side + " port " + port + " is out of range; use 1 to 65535");
        }
    }

    /**
     * Parses {@code HOST_PORT:GUEST_PORT} (or {@code PORT} for the same number on both sides).
     *
     * @throws PyroException INVALID_ARGUMENT with the expected form
     */
    public static PortMapping parse(String spec) {
        String s = spec == null ? "" : spec.trim();
        if (s.startsWith(HOST_ADDRESS + ":")) {
            s = s.substring(HOST_ADDRESS.length() + 1); // the only address there is; accepted for clarity
        }
        String[] parts = s.split(":", -1);
        try {
            if (parts.length == 1) {
                int p = Integer.parseInt(parts[0]);
                return new PortMapping(p, p);
            }
            if (parts.length == 2) {
                return new PortMapping(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw PyroException.invalidArgument("cannot read published port '" + spec
                + "'; expected HOST_PORT:GUEST_PORT, e.g. 8080:80 (the host side binds 127.0.0.1 only)");
    }

    @Override
    public String toString() {
        return HOST_ADDRESS + ":" + hostPort + "->" + guestPort;
    }
}
