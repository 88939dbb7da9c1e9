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

    /** The host's first nameserver from /etc/resolv.conf that a guest can reach (not on loopback). */
    public static Optional<String> upstreamNameserver() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 2 && f[0].equals("nameserver") && f[1].matches("\\d+\\.\\d+\\.\\d+\\.\\d+")
                        && !f[1].startsWith("127.")) {
                    return Optional.of(f[1]);
                }
            }
        } catch (IOException e) {
            // none
        }
        return Optional.empty();
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
