package dev.pyro.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces the network tests create and delete: {@code host} (where pyro runs, so
 * its TAP devices, nftables rules and sysctls never touch the real host) and {@code world}
 * (servers that stand for the internet and for the networks a guest must not reach), joined by a
 * veth pair. The host is {@value #HOST_ADDR}/24 with its default route via the world,
 * {@value #WORLD_ADDR}/24: both in a documentation range, which pyro counts as public (RFC 5737:
 * nobody's network is numbered from it). The world's veth also holds addresses a guest must never
 * reach: {@value #PRIVATE_ADDR} (RFC 1918), {@value #METADATA_ADDR} (cloud instance metadata) and
 * {@value #CGNAT_ADDR} (shared address space). The host namespace starts with IPv4 forwarding and
 * lo's route_localnet off, so that the tests see what pyro turns on and puts back.
 */
final class NetNs implements AutoCloseable {
    static final String HOST_ADDR = "203.0.113.1";
    static final String WORLD_ADDR = "203.0.113.2";
    static final String PRIVATE_ADDR = "192.168.213.2";
    static final String METADATA_ADDR = "169.254.169.254";
    static final String CGNAT_ADDR = "100.64.0.2";
    /** The loopback resolver of the host namespace (as systemd-resolved's), when a test asks for it. */
    static final String LOOPBACK_RESOLVER = "127.0.0.53";

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
        for (String a : List.of(PRIVATE_ADDR + "/24", METADATA_ADDR + "/32", CGNAT_ADDR + "/32")) {
            ip("-n", ns.world, "addr", "add", a, "dev", veth + "w");
        }
        for (String n : List.of(ns.host, ns.world)) {
            ip("-n", n, "link", "set", "lo", "up");
        }
        ip("-n", ns.host, "link", "set", veth + "h", "up");
        ip("-n", ns.world, "link", "set", veth + "w", "up");
        ip("-n", ns.host, "route", "add", "default", "via", WORLD_ADDR);
        // A new namespace may inherit forwarding from the real host's; start from off.
        ns.hostOutput("sh", "-c", "echo 0 > /proc/sys/net/ipv4/ip_forward; echo 0 > /proc/sys/net/ipv4/conf/lo/route_localnet");
        return ns;
    }

    /** Starts {@link BlobServerMain} on every address of the world namespace and waits until it listens. */
    void serveBlob(int port, java.nio.file.Path file) throws IOException {
        start(world, "0.0.0.0", port, file);
    }

    /** Starts {@link BlobServerMain} on every address of the host namespace (its own addresses and loopback). */
    void serveBlobOnHostWildcard(int port, java.nio.file.Path file) throws IOException {
        start(host, "0.0.0.0", port, file);
    }

    private void start(String namespace, String address, int port, java.nio.file.Path file) throws IOException {
        startMain(namespace, BlobServerMain.class, address, port, file.toString());
    }

    /**
     * Two nameservers that know {@code name} (as the world's public address): one in the world on
     * its private address, one on the host namespace's loopback; {@link #useResolver} picks the
     * one the host namespace's resolv.conf names ({@code ip netns exec} mounts
     * {@code /etc/netns/<host>/resolv.conf} over /etc/resolv.conf). Starts with the private one.
     */
    void serveDns(String name) throws IOException {
        startMain(world, DnsServerMain.class, PRIVATE_ADDR, 53, name, WORLD_ADDR);
        startMain(host, DnsServerMain.class, LOOPBACK_RESOLVER, 53, name, WORLD_ADDR);
        useResolver(PRIVATE_ADDR);
    }

    /** Makes {@code address} the host namespace's nameserver. */
    void useResolver(String address) throws IOException {
        java.nio.file.Path conf = java.nio.file.Files.createDirectories(etcNetns()).resolve("resolv.conf");
        java.nio.file.Files.writeString(conf, "nameserver " + address + "\n");
    }

    private java.nio.file.Path etcNetns() {
        return java.nio.file.Path.of("/etc/netns", host);
    }

    private void startMain(String namespace, Class<?> main, String address, int port, String... args)
            throws IOException {
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace, javaBin, "-cp",
                System.getProperty("java.class.path"), main.getName(), address, Integer.toString(port)));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
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
