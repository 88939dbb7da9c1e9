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
    /** How long passt and the relay get to listen. */
    private static final Duration PASST_READY = Duration.ofSeconds(10);

    private final NetworkPlan plan;
    private final List<String> netdev;
    private final List<VmmProcess> helpers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private QemuNetwork(NetworkPlan plan, List<String> netdev) {
        this.plan = plan;
        this.netdev = netdev;
    }

    /** The value of QEMU's {@code -netdev} option, as comma-separated parts. */
    List<String> netdev() {
        return netdev;
    }

    /** The helper processes (user back end: passt and the frame relay). */
    List<ProcessIdentity> helpers() {
        return helpers.stream().map(h -> ProcessIdentity.of(h.pid())).flatMap(Optional::stream).toList();
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
            return new QemuNetwork(plan, List.of("tap", "id=net0", "ifname=" + dev, "script=no", "downscript=no"));
        }
        Path passtBinary = HostNetwork.tool("passt").orElseThrow(() -> new PyroException(PyroException.Kind.HOST_SETUP,
                "the user network back end needs passt, which is not installed; install it with: apt-get install passt"));
        Path log = files.runDir().resolve("passt.log");
        try {
            Files.deleteIfExists(files.netSocket());
            Files.deleteIfExists(files.passtSocket());
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // passt reports what it cannot create
        }
        // QEMU -> frame relay (net.sock) -> passt (passt.sock): see FrameFilter for why.
        QemuNetwork net = new QemuNetwork(plan, List.of("stream", "id=net0", "server=off", "addr.type=unix",
                "addr.path=" + QemuCommandLine.opt(files.netSocket().toString())));
        try {
            VmmProcess passt = net.start("passt-" + vmId, Passt.argv(passtBinary, plan, files.passtSocket(), log, uidGid()),
                    files.runDir().resolve("passt.out"), dieWithJvm);
            net.awaitReady(vmId, passt, () -> Files.exists(files.passtSocket()) && portsListening(plan), log,
                    files.runDir().resolve("passt.out"));
            VmmProcess relay = net.start("netrelay-" + vmId, relayArgv(vmId, files, plan),
                    files.runDir().resolve("netrelay.log"),
                    dieWithJvm);
            net.awaitReady(vmId, relay, () -> Files.exists(files.netSocket()), files.runDir().resolve("netrelay.log"));
            return net;
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }

    private VmmProcess start(String name, List<String> argv, Path log, boolean dieWithJvm) {
        try {
            VmmProcess p = VmmProcess.start(name, argv, log, dieWithJvm);
            helpers.add(p);
            return p;
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot start " + name + " (the user network back"
                    + " end): " + e.getMessage(), e);
        }
    }

    private void awaitReady(String vmId, VmmProcess process, java.util.function.BooleanSupplier ready, Path... logs) {
        long deadline = System.nanoTime() + PASST_READY.toNanos();
        while (!ready.getAsBoolean()) {
            if (!process.isAlive() || System.nanoTime() - deadline >= 0) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "the user network back end of VM " + vmId + " "
                        + (process.isAlive() ? "did not get ready in " + PASST_READY.toSeconds() + " s" : "exited")
                        + lastLine(logs) + "; log: " + logs[0]);
            }
            process.waitFor(Duration.ofMillis(5));
        }
    }

    /**
     * The frame relay runs in a JVM of its own (it must outlive this one for persistent VMs),
     * started from this JVM's own java and class path, kept small: it only copies frames.
     */
    private static List<String> relayArgv(String vmId, VmFiles files, NetworkPlan plan) {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.isEmpty())
                .map(e -> Path.of(e).toAbsolutePath().toString())
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        List<String> argv = new java.util.ArrayList<>(List.of(javaBin, "-Xmx24m", "-Xss512k", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Dpyro.netrelay=" + vmId));
        if (System.getenv("PYRO_NETRELAY_TRACE") != null) {
            argv.add("-Dpyro.netrelay.trace=true");
        }
        argv.addAll(List.of("-cp", classPath, dev.pyro.internal.net.FrameRelayMain.class.getName(),
                files.netSocket().toString(), files.passtSocket().toString(), plan.mac(), plan.guestAddress(),
                plan.toJson())); // the relay's filter is built from the plan (FrameFilter)
        return argv;
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

    /** passt, or our frame relay: never signal a process that took over a helper's pid. */
    static boolean isHelper(List<String> argv) {
        return !argv.isEmpty() && (argv.get(0).contains("passt")
                || argv.stream().anyMatch(a -> a.startsWith("-Dpyro.netrelay=")));
    }

    /** Kills passt (it would exit with QEMU anyway) or removes the TAP device and its rules. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (VmmProcess h : helpers) {
            if (h.isAlive()) {
                h.kill();
            }
        }
        if (plan.backend() == Backend.TAP) {
            TapNetwork.down(plan);
        }
    }

    /**
     * Tears down the host side of a persistent VM's network from any process: kills its passt
     * (if it still runs and is that passt) and removes the TAP device and rules. Never throws.
     */
    static void release(NetworkPlan plan, List<ProcessIdentity> helpers) {
        helpers.stream().filter(ProcessIdentity::isAlive)
                .filter(p -> p.commandLine().map(QemuNetwork::isHelper).orElse(false))
                .forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly));
        if (plan.backend() == Backend.TAP) {
            TapNetwork.down(plan);
        }
    }
}
