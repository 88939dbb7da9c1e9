package dev.pyro.internal.engine.qemu;

import dev.pyro.PortMapping;
import dev.pyro.PyroException;
import dev.pyro.internal.host.ProcessIdentity;
import dev.pyro.internal.net.Backend;
import dev.pyro.internal.net.HostNetwork;
import dev.pyro.internal.net.NetworkPlan;
import dev.pyro.internal.net.NetworkPlanner;
import dev.pyro.internal.net.Passt;
import dev.pyro.internal.net.TapNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The host side of a VM's network device: starts passt (user back end) or creates the TAP
 * device and its rules (tap back end) before QEMU starts, and tears them down after it.
 */
final class QemuNetwork implements AutoCloseable {
    /** How long passt gets to bind its socket. */
    private static final Duration PASST_READY = Duration.ofSeconds(10);

    private final NetworkPlan plan;
    private final List<String> netdev;
    private final VmmProcess passt;
    private volatile boolean closed;

    private QemuNetwork(NetworkPlan plan, List<String> netdev, VmmProcess passt) {
        this.plan = plan;
        this.netdev = netdev;
        this.passt = passt;
    }

    /** The value of QEMU's {@code -netdev} option, as comma-separated parts. */
    List<String> netdev() {
        return netdev;
    }

    NetworkPlan plan() {
        return plan;
    }

    /** passt's process while it runs (user back end). */
    Optional<ProcessIdentity> helper() {
        return passt == null ? Optional.empty() : ProcessIdentity.of(passt.pid());
    }

    /**
     * Sets up the host side of {@code plan} for VM {@code files}.
     *
     * @param dieWithJvm the helper process dies with this JVM (one-shot VMs); otherwise it runs in
     *     its own session and exits when QEMU does
     */
    static QemuNetwork up(NetworkPlan plan, String vmId, VmFiles files, boolean dieWithJvm) {
        NetworkPlanner.checkPublishedPorts(plan.publish());
        if (plan.backend() == Backend.TAP) {
            TapNetwork.up(plan, files.runDir());
            String dev = plan.tapDevice().orElseThrow();
            return new QemuNetwork(plan, List.of("tap", "id=net0", "ifname=" + dev, "script=no", "downscript=no"), null);
        }
        Path passtBinary = HostNetwork.tool("passt").orElseThrow(() -> new PyroException(PyroException.Kind.HOST_SETUP,
                "the user network back end needs passt, which is not installed; install it with: apt-get install passt"));
        Path socket = files.netSocket();
        Path log = files.runDir().resolve("passt.log");
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // passt reports what it cannot create
        }
        List<String> argv = Passt.argv(passtBinary, plan, socket, log, uidGid());
        VmmProcess process;
        try {
            process = VmmProcess.start("passt-" + vmId, argv, files.runDir().resolve("passt.out"), dieWithJvm);
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot start passt for VM " + vmId + ": "
                    + e.getMessage(), e);
        }
        QemuNetwork net = new QemuNetwork(plan, List.of("stream", "id=net0", "server=off", "addr.type=unix",
                "addr.path=" + QemuCommandLine.opt(socket.toString())), process);
        long deadline = System.nanoTime() + PASST_READY.toNanos();
        while (!Files.exists(socket) || !portsListening(plan)) {
            if (!process.isAlive() || System.nanoTime() - deadline >= 0) {
                net.close();
                throw new PyroException(PyroException.Kind.HOST_SETUP, "passt (the user network back end) of VM "
                        + vmId + " " + (process.isAlive() ? "did not get ready in " + PASST_READY.toSeconds() + " s"
                                : "exited") + lastLine(log, files.runDir().resolve("passt.out")) + "; passt log: " + log);
            }
            process.waitFor(Duration.ofMillis(5));
        }
        return net;
    }

    /** Whether every published host port is listening on 127.0.0.1 (passt binds them after its socket). */
    private static boolean portsListening(NetworkPlan plan) {
        if (plan.publish().isEmpty()) {
            return true;
        }
        try {
            String tcp = Files.readString(Path.of("/proc/net/tcp"));
            for (PortMapping p : plan.publish()) {
                String local = String.format("0100007F:%04X 00000000:0000 0A", p.hostPort());
                if (!tcp.contains(local)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return true; // cannot tell: the guest-side test will
        }
    }

    private static String lastLine(Path... logs) {
        for (Path log : logs) {
            try {
                List<String> lines = Files.readAllLines(log).stream().map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.contains("syslog") && !l.startsWith("passt ")).toList();
                if (!lines.isEmpty()) {
                    return ": '" + lines.get(lines.size() - 1) + "'";
                }
            } catch (IOException e) {
                // next
            }
        }
        return "";
    }

    private static String uidGid() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            Object gid = Files.getAttribute(Path.of("/proc/self"), "unix:gid");
            return uid + ":" + gid;
        } catch (IOException e) {
            return "0:0";
        }
    }

    /** Kills passt (it would exit with QEMU anyway) or removes the TAP device and its rules. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (passt != null && passt.isAlive()) {
            passt.kill();
        }
        if (plan.backend() == Backend.TAP) {
            TapNetwork.down(plan);
        }
    }

    /**
     * Tears down the host side of a persistent VM's network from any process: kills its passt
     * (if it still runs and is that passt) and removes the TAP device and rules. Never throws.
     */
    static void release(NetworkPlan plan, Optional<ProcessIdentity> helper) {
        helper.filter(ProcessIdentity::isAlive)
                .filter(p -> p.commandLine().map(a -> !a.isEmpty() && a.get(0).contains("passt")).orElse(false))
                .ifPresent(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly));
        if (plan.backend() == Backend.TAP) {
            TapNetwork.down(plan);
        }
    }
}
