package dev.pyro.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces the network tests create and delete: {@code host} (where pyro runs, so
 * its TAP devices, nftables rules and IPv4 forwarding never touch the real host) and
 * {@code world} (a server that stands for the internet), joined by a veth pair:
 * host 192.168.213.1/24 (default route via world) -- world 192.168.213.2/24. The world can
 * also be the host namespace's nameserver ({@link #serveDns}).
 */
final class NetNs implements AutoCloseable {
    static final String HOST_ADDR = "192.168.213.1";
    static final String WORLD_ADDR = "192.168.213.2";

    final String host;
    final String world;
    private final List<Process> servers = new ArrayList<>();

    private NetNs(String host, String world) {
        this.host = host;
        this.world = world;
    }

    static NetNs create() {
        String tag = Long.toString(ProcessHandle.current().pid(), 36);
        NetNs ns = new NetNs("pyro-it-h-" + tag, "pyro-it-w-" + tag);
        ns.close(); // leftovers of a killed run with the same pid
        String veth = "pyit" + tag;
        ip("netns", "add", ns.host);
        ip("netns", "add", ns.world);
        ip("link", "add", veth + "h", "netns", ns.host, "type", "veth", "peer", "name", veth + "w", "netns", ns.world);
        ip("-n", ns.host, "addr", "add", HOST_ADDR + "/24", "dev", veth + "h");
        ip("-n", ns.world, "addr", "add", WORLD_ADDR + "/24", "dev", veth + "w");
        for (String n : List.of(ns.host, ns.world)) {
            ip("-n", n, "link", "set", "lo", "up");
        }
        ip("-n", ns.host, "link", "set", veth + "h", "up");
        ip("-n", ns.world, "link", "set", veth + "w", "up");
        ip("-n", ns.host, "route", "add", "default", "via", WORLD_ADDR);
        return ns;
    }

    /** Starts {@link BlobServerMain} in the world namespace and waits until it listens. */
    void serveBlob(int port, java.nio.file.Path file) throws IOException {
        start(world, WORLD_ADDR, port, file);
    }

    private void start(String namespace, String address, int port, java.nio.file.Path file) throws IOException {
        startMain(namespace, BlobServerMain.class, address, port, file.toString());
    }

    /**
     * Makes the world namespace the host namespace's nameserver: {@link DnsServerMain} answers
     * {@code name} with the world's address, and {@code /etc/netns/<host>/resolv.conf} (which
     * {@code ip netns exec} mounts over /etc/resolv.conf) points at it.
     */
    void serveDns(String name) throws IOException {
        startMain(world, DnsServerMain.class, WORLD_ADDR, 53, name);
        java.nio.file.Path conf = java.nio.file.Files.createDirectories(etcNetns()).resolve("resolv.conf");
        java.nio.file.Files.writeString(conf, "nameserver " + WORLD_ADDR + "\n");
    }

    private java.nio.file.Path etcNetns() {
        return java.nio.file.Path.of("/etc/netns", host);
    }

    private void startMain(String namespace, Class<?> main, String address, int port, String arg)
            throws IOException {
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("ip", "netns", "exec", namespace, javaBin, "-cp", System.getProperty("java.class.path"),
                main.getName(), address, Integer.toString(port), arg)
                .redirectErrorStream(true).start();
        servers.add(p);
        byte[] line = new byte[6];
        int n = p.getInputStream().readNBytes(line, 0, 6);
        if (n != 6 || !new String(line, StandardCharsets.US_ASCII).equals("ready\n")) {
            throw new IOException("the world server did not start: " + new String(line, 0, Math.max(n, 0),
                    StandardCharsets.UTF_8) + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** Starts {@link BlobServerMain} on the host namespace's loopback (the "host services" of the tests). */
    void serveBlobOnHostLoopback(int port, java.nio.file.Path file) throws IOException {
        start(host, "127.0.0.1", port, file);
    }

    /**
     * Starts {@link CountServerMain} on the host namespace's loopback; it writes the number of
     * connections it accepted to {@code countFile}.
     */
    void countOnHostLoopback(int port, java.nio.file.Path countFile) throws IOException {
        startMain(host, CountServerMain.class, "127.0.0.1", port, countFile.toString());
    }

    /** The command, run inside the host namespace. */
    List<String> inHost(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", host));
        cmd.addAll(command);
        return cmd;
    }

    /** Output of a command run inside the host namespace (for checks of what is left). */
    String hostOutput(String... command) {
        return run(inHost(List.of(command)), true);
    }

    @Override
    public void close() {
        servers.forEach(Process::destroyForcibly);
        for (String n : List.of(host, world)) {
            run(List.of("ip", "netns", "del", n), false);
        }
        run(List.of("rm", "-rf", etcNetns().toString()), false);
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        run(cmd, true);
    }

    private static String run(List<String> cmd, boolean check) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + cmd);
            }
            if (check && p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
