package dev.pyro.internal.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What the host offers for guest networking (doctor, and the checks before a networked boot). */
public final class HostNetwork {
    /** The TUN/TAP device node the tap back end opens (through QEMU). */
    public static final Path DEV_TUN = Path.of("/dev/net/tun");
    static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
    /** Bit of CAP_NET_ADMIN in /proc/self/status's capability masks. */
    private static final int CAP_NET_ADMIN = 12;

    private HostNetwork() {
    }

    public static boolean tunExists() {
        return Files.exists(DEV_TUN);
    }

    /** IPv4 forwarding in this network namespace; empty when unreadable. */
    public static Optional<Boolean> ipForward() {
        try {
            return Optional.of(Files.readString(IP_FORWARD).trim().equals("1"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether this process holds CAP_NET_ADMIN (what the tap back end needs). */
    public static boolean hasNetAdmin() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long mask = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (mask & (1L << CAP_NET_ADMIN)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // below
        }
        return false;
    }

    /**
     * The host's first IPv4 nameserver from /etc/resolv.conf, wherever it is (a loopback
     * resolver such as systemd-resolved's 127.0.0.53, the LAN's router, a public one): guests
     * query the gateway and the host forwards exactly DNS there. Empty when there is none.
     */
    public static Optional<String> resolver() {
        try {
            return resolver(Files.readAllLines(Path.of("/etc/resolv.conf")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static Optional<String> resolver(List<String> resolvConf) {
        for (String line : resolvConf) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals("nameserver") && Ipv4Range.parseAddress(f[1]).isPresent()) {
                return Optional.of(f[1]);
            }
        }
        return Optional.empty();
    }

    /**
     * The IPv4 addresses of this network namespace's interfaces and their broadcast addresses:
     * the host's own addresses, which a guest never reaches (its services are reached by port,
     * with allow-host). Empty when they cannot be read.
     */
    public static java.util.Set<Integer> ownAddresses() {
        java.util.Set<Integer> out = new java.util.HashSet<>();
        try {
            java.util.Enumeration<java.net.NetworkInterface> all = java.net.NetworkInterface.getNetworkInterfaces();
            while (all != null && all.hasMoreElements()) {
                for (java.net.InterfaceAddress a : all.nextElement().getInterfaceAddresses()) {
                    add(out, a.getAddress());
                    add(out, a.getBroadcast());
                }
            }
        } catch (java.net.SocketException e) {
            // none known: the blocked ranges still hold every private and loopback address
        }
        return out;
    }

    private static void add(java.util.Set<Integer> out, java.net.InetAddress a) {
        if (a instanceof java.net.Inet4Address v4) {
            out.add(java.nio.ByteBuffer.wrap(v4.getAddress()).getInt());
        }
    }

    /** Finds an executable in the usual system directories (pyro may run without /usr/sbin on PATH). */
    public static Optional<Path> tool(String name) {
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
