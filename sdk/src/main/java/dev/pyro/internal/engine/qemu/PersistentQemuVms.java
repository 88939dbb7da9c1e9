package dev.pyro.internal.engine.qemu;

import dev.pyro.PyroException;
import dev.pyro.ProgressListener;
import dev.pyro.internal.engine.AgentConnection;
import dev.pyro.internal.engine.PersistentEngine.Booted;
import dev.pyro.internal.engine.PersistentEngine.StopOutcome;
import dev.pyro.internal.engine.PersistentVmRef;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.guest.GuestClient;
import dev.pyro.internal.guest.HelloInfo;
import dev.pyro.internal.host.ProcessIdentity;
import dev.pyro.internal.net.Backend;
import dev.pyro.internal.net.NetworkPlan;
import dev.pyro.internal.net.TapNetwork;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Persistent QEMU VMs: booted in their own session so they outlive the JVM, and controlled
 * later from any process through a {@link PersistentVmRef} (docs/engines.md, "Persistent VMs").
 * Stateless apart from the engine: every method reads what it needs from the ref, /proc and the
 * run directory, so several processes can use one VM at once.
 */
final class PersistentQemuVms {
    /** How often attach looks for a free port while all are taken. */
    private static final Duration PORT_POLL = Duration.ofMillis(20);
    /** How long the agent gets to answer HELLO on a port we hold (it notices a new host within 50 ms). */
    private static final Duration HELLO_TIMEOUT = Duration.ofSeconds(10);
    /** Longest wait for a free port when stopping: stop must work while every port is busy. */
    private static final Duration STOP_ATTACH_WAIT = Duration.ofSeconds(2);
    /** How long QEMU gets to exit after QMP quit, and after SIGKILL. */
    private static final Duration QUIT_GRACE = Duration.ofSeconds(3);
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Written in the run directory as soon as QEMU runs: see {@link #lastSpawned}. */
    static final String SPAWN_RECORD = "vmm.json";
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pyro-qmp-connect-timer");
        t.setDaemon(true);
        return t;
    });

    private final QemuEngine engine;
    private final Duration execGrace;
    private volatile boolean requireUpperDisk = true;

    PersistentQemuVms(QemuEngine engine, Duration execGrace) {
        this.engine = engine;
        this.execGrace = execGrace;
    }

    /**
     * Whether a persistent boot fails when the agent does not confirm that the overlay's upper
     * layer is on the writable disk ({@link HelloInfo#FEATURE_UPPER_DISK}). On by default; only
     * for agents older than the multi-port release, which never report the feature.
     */
    void requireUpperDisk(boolean require) {
        this.requireUpperDisk = require;
    }

    Booted boot(VmSpec spec, ProgressListener progress) {
        if (spec.ephemeral()) {
            throw new IllegalArgumentException("a persistent VM must not be ephemeral");
        }
        Path disk = spec.writableDisk().orElseThrow(() -> new IllegalArgumentException(
                "a persistent VM needs a writable disk for the overlay's upper layer"));
        Path runDir = spec.runDir().toAbsolutePath().normalize();
        String bootId = HexFormat.of().formatHex(randomBytes());
        PortLocks locks = new PortLocks(runDir, bootId);
        PortLocks.Held port0;
        try {
            Files.createDirectories(runDir);
            PortLocks.removeAll(runDir); // earlier boots' lock files
            port0 = PortLocks.tryAcquire(locks.agentLock(0)).orElseThrow(() -> new IOException(
                    "the new lock file " + locks.agentLock(0) + " is held by someone else"));
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot prepare the run directory " + runDir
                    + " of VM " + spec.id() + ": " + e.getMessage() + "; check its permissions and free space", e);
        }
        long start = System.nanoTime();
        QemuVm vm;
        try {
            vm = engine.boot(spec, progress, port0, (files, pid, helper) -> {
                // Recorded before the guest boots: a process that finds this boot interrupted
                // (its booter was killed) finds the QEMU to kill through this file.
                ProcessIdentity spawned = ProcessIdentity.of(pid).orElseThrow(() -> new PyroException(
                        PyroException.Kind.VM_FAILED, "QEMU of VM " + spec.id() + " exited at once; QEMU log: "
                                + files.qemuLog()));
                writeSpawnRecord(runDir, ref(spec, runDir, bootId, disk, files, spawned, helper));
            });
        } catch (RuntimeException | Error e) {
            port0.close();
            throw e;
        }
        try {
            HelloInfo hello = vm.hello();
            if (requireUpperDisk && !hello.has(HelloInfo.FEATURE_UPPER_DISK)) {
                BootDiagnosis.Finding f = BootDiagnosis.fromConsole(vm.consoleLog(), spec.rootImage(), spec.kernel());
                throw new PyroException(PyroException.Kind.VM_FAILED, "the guest of VM " + spec.id()
                        + " did not put its writable layer on the disk " + disk + " (it fell back to memory, so"
                        + " nothing written would survive a stop)" + (f.line().isEmpty() ? "" : ": '" + f.line() + "'")
                        + "; check the disk with e2fsck -fn " + disk + " or recreate it; console log: "
                        + vm.consoleLog());
            }
            ProcessIdentity identity = ProcessIdentity.of(vm.pid()).filter(ProcessIdentity::isAlive).orElseThrow(
                    () -> new PyroException(PyroException.Kind.VM_FAILED, "QEMU of VM " + spec.id()
                            + " exited right after booting; " + vm.diagnostics()));
            vm.releaseQmp();
            PersistentVmRef ref = ref(spec, runDir, bootId, disk, vm.files(), identity,
                    vm.network().map(QemuNetwork::helpers).orElse(List.of()));
            vm.detachNetwork(); // passt and the TAP device live as long as the VM now; stop and kill end them
            return new Booted(ref, new AgentConnection(spec.id(), 0, vm.guest(), hello),
                    (System.nanoTime() - start) / 1_000_000L);
        } catch (RuntimeException | Error e) {
            vm.close(); // kills QEMU, closes the connection (which releases port 0), removes the sockets
            throw e;
        }
    }

    private PersistentVmRef ref(VmSpec spec, Path runDir, String bootId, Path disk, VmFiles files,
            ProcessIdentity vmm, List<ProcessIdentity> netHelpers) {
        return new PersistentVmRef(engine.name(), spec.id(), bootId, runDir, files.agentSockets(), files.qmpSocket(),
                files.privateSocketDir(), vmm.pid(), vmm.startTime(), engine.binary().path().toString(), spec.accel(),
                spec.kernel().toAbsolutePath(), spec.rootImage().toAbsolutePath(), disk.toAbsolutePath(),
                files.consoleLog(), files.qemuLog(), spec.network(), netHelpers);
    }

    /** The file in a run directory that records the VMM of its latest boot. */
    static Path spawnRecord(Path runDir) {
        return runDir.resolve(SPAWN_RECORD);
    }

    private static void writeSpawnRecord(Path runDir, PersistentVmRef ref) {
        Path target = spawnRecord(runDir);
        Path tmp = runDir.resolve(SPAWN_RECORD + ".tmp");
        try {
            Files.writeString(tmp, ref.toJson() + "\n", java.nio.charset.StandardCharsets.UTF_8);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot write " + target + ": " + e.getMessage()
                    + "; check the free space and permissions of " + runDir, e);
        }
    }

    Optional<PersistentVmRef> lastSpawned(Path runDir) {
        Path file = spawnRecord(runDir.toAbsolutePath().normalize());
        try {
            return Optional.of(PersistentVmRef.fromJson(Files.readString(file)));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty(); // none, or from another pyro version
        }
    }

    /**
     * Ends what a boot of VM {@code vmId} left behind when its booter died or failed: the VMM of
     * the spawn record, then any QEMU or network helper of this VM still running, found by
     * command line (the booter may have died between spawning one and recording it), then the
     * host side of {@code network} (TAP device and rules, which exist before any process does).
     */
    void abandonBoot(String vmId, Path runDir, Optional<NetworkPlan> network) {
        Path dir = runDir.toAbsolutePath().normalize();
        lastSpawned(dir).ifPresent(ref -> {
            kill(ref);
            if (!isAlive(ref)) {
                removeRuntimeFiles(ref);
            }
        });
        ProcessHandle.allProcesses().filter(p -> p.pid() != ProcessHandle.current().pid()).forEach(p ->
                ProcessIdentity.of(p.pid()).filter(id -> id.commandLine()
                        .map(args -> isLeftByBoot(args, vmId, dir)).orElse(false))
                        .ifPresent(id -> {
                            p.destroyForcibly();
                            awaitGone(id, KILL_GRACE);
                        }));
        network.filter(plan -> plan.backend() == Backend.TAP).ifPresent(TapNetwork::down);
    }

    /**
     * Whether a command line is one a boot of this VM started: its QEMU (named for it, writing
     * its console into its run directory; also still behind {@code setsid}), its passt (logging
     * into the run directory) or its frame relay.
     */
    static boolean isLeftByBoot(List<String> args, String vmId, Path runDir) {
        List<String> a = !args.isEmpty() && ProcessIdentity.programName(args.get(0)).equals("setsid")
                ? args.subList(1, args.size()) : args;
        if (a.isEmpty()) {
            return false;
        }
        String program = ProcessIdentity.programName(a.get(0));
        if (program.startsWith("qemu-system")) {
            return isQemuOf(a, vmId) && a.stream().anyMatch(x -> x.contains(runDir.resolve("console.log").toString()));
        }
        if (program.equals("passt")) {
            return a.contains(runDir.resolve("passt.log").toString());
        }
        return a.contains("-Dpyro.netrelay=" + vmId);
    }

    private static void awaitGone(ProcessIdentity p, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (p.isAlive() && System.nanoTime() - deadline < 0) {
            sleep(Duration.ofMillis(10));
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return b;
    }

    boolean isAlive(PersistentVmRef ref) {
        ProcessIdentity p = ref.process();
        if (!p.isAlive()) {
            return false;
        }
        // Same pid and start time is already strong; the command line makes sure it is this
        // VM's QEMU and not, say, a process started in the same clock tick after a pid wrap.
        return p.commandLine().map(args -> isOurQemu(args, ref)).orElse(false);
    }

    static boolean isOurQemu(List<String> args, PersistentVmRef ref) {
        return isQemuOf(args, ref.id());
    }

    /** A QEMU command line (argv[0] is qemu-system-*) naming VM {@code vmId} ({@code -name pyro-<id>}). */
    private static boolean isQemuOf(List<String> args, String vmId) {
        if (args.isEmpty() || !ProcessIdentity.programName(args.get(0)).startsWith("qemu-system")) {
            return false;
        }
        int name = args.indexOf("-name");
        return name >= 0 && name + 1 < args.size() && args.get(name + 1).equals("pyro-" + vmId);
    }

    AgentConnection attach(PersistentVmRef ref, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        PortLocks locks = new PortLocks(ref.runDir(), ref.bootId());
        // Start at a different port in each process, so that processes do not all try port 0 first.
        int first = (int) (ProcessHandle.current().pid() % ref.agentPorts());
        while (true) {
            if (!isAlive(ref)) {
                throw notRunning(ref);
            }
            for (int i = 0; i < ref.agentPorts(); i++) {
                int port = (first + i) % ref.agentPorts();
                Optional<PortLocks.Held> held;
                try {
                    held = PortLocks.tryAcquire(locks.agentLock(port));
                } catch (IOException e) {
                    throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot lock agent port " + port
                            + " of VM " + ref.id() + " (" + locks.agentLock(port) + "): " + e.getMessage()
                            + "; check the permissions of " + ref.runDir());
                }
                if (held.isPresent()) {
                    return connect(ref, port, held.get());
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new PyroException(PyroException.Kind.VM_FAILED, "all " + ref.agentPorts() + " agent ports of VM "
                        + ref.id() + " are in use by other pyro processes (waited " + wait.toMillis()
                        + " ms); retry when one of them is done");
            }
            sleep(PORT_POLL);
        }
    }

    /**
     * Connects to a port whose lock we hold; the connection releases the lock when it ends.
     *
     * <p>An unanswered HELLO is retried on a fresh connection to the same port, with growing
     * waits (1, 2, 3, ... s) within {@link #HELLO_TIMEOUT}. QEMU tells the guest that a host
     * (dis)connected with a virtio-serial control message, and drops that message when the
     * guest has no control buffer free at that instant (virtio-serial-bus.c, send_control_msg).
     * A guest that missed a connect thinks the port has no host: it neither reads nor writes
     * it, and the HELLO waits forever. Reconnecting sends the message again. Seen under TCG when
     * ports are closed and reopened in quick succession (docs/engines.md).
     */
    private AgentConnection connect(PersistentVmRef ref, int port, PortLocks.Held lock) {
        long deadline = System.nanoTime() + HELLO_TIMEOUT.toNanos();
        for (int attempt = 1; ; attempt++) {
            SocketChannel socket = open(ref, port, lock);
            AtomicBoolean keepLock = new AtomicBoolean();
            AutoCloseable transport = () -> {
                try {
                    socket.close();
                } finally {
                    if (!keepLock.get()) {
                        lock.close();
                    }
                }
            };
            GuestClient guest = new GuestClient("the guest agent of VM " + ref.id() + " (port " + port + ")", socket,
                    socket, transport, execGrace);
            guest.setDiagnostics(() -> isAlive(ref) ? "console log: " + ref.consoleLog() : describeExit(ref));
            Duration wait = min(Duration.ofSeconds(attempt), left(deadline));
            try {
                HelloInfo hello = guest.hello(wait);
                return new AgentConnection(ref.id(), port, guest, hello);
            } catch (PyroException e) {
                boolean retry = e.kind() == PyroException.Kind.VM_FAILED && left(deadline).toMillis() > 0
                        && isAlive(ref);
                keepLock.set(retry);
                guest.close();
                if (!retry) {
                    throw attempt == 1 ? e : new PyroException(e.kind(), e.getMessage() + " (" + attempt
                            + " connections in " + HELLO_TIMEOUT.toSeconds() + " s)", e);
                }
            } catch (RuntimeException e) {
                guest.close();
                throw e;
            }
        }
    }

    /** Opens the socket of a port whose lock we hold; releases the lock if it cannot. */
    private SocketChannel open(PersistentVmRef ref, int port, PortLocks.Held lock) {
        try {
            return SocketChannel.open(UnixDomainSocketAddress.of(ref.agentSockets().get(port)));
        } catch (IOException e) {
            lock.close();
            if (!isAlive(ref)) {
                throw notRunning(ref);
            }
            throw new PyroException(PyroException.Kind.VM_FAILED, "cannot connect to agent port " + port + " of VM "
                    + ref.id() + " at " + ref.agentSockets().get(port) + ": " + e.getMessage()
                    + "; stop and start the VM", e);
        }
    }

    StopOutcome stop(PersistentVmRef ref, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (!isAlive(ref)) {
                return StopOutcome.NOT_RUNNING;
            }
            AgentConnection connection = null;
            try {
                connection = attach(ref, min(STOP_ATTACH_WAIT, left(deadline)));
            } catch (PyroException e) {
                // No free port, or the agent does not answer: the VMM is asked to quit below.
            }
            if (connection != null) {
                try (AgentConnection c = connection) {
                    c.guest().shutdown(left(deadline));
                } catch (PyroException e) {
                    // interrupted: go on to the harder ways
                }
                if (awaitExit(ref, left(deadline))) {
                    return StopOutcome.CLEAN;
                }
            }
            if (qmpQuit(ref) && awaitExit(ref, QUIT_GRACE)) {
                return StopOutcome.QUIT;
            }
            killAndWait(ref);
            return StopOutcome.KILLED;
        } finally {
            if (!isAlive(ref)) {
                releaseHostSide(ref);
            }
        }
    }

    /** QMP quit over the QMP socket, holding its lock; false if QMP could not be reached. */
    private boolean qmpQuit(PersistentVmRef ref) {
        PortLocks locks = new PortLocks(ref.runDir(), ref.bootId());
        long deadline = System.nanoTime() + QUIT_GRACE.toNanos();
        Optional<PortLocks.Held> held = Optional.empty();
        try {
            while (held.isEmpty()) {
                held = PortLocks.tryAcquire(locks.qmpLock());
                if (held.isEmpty()) {
                    if (System.nanoTime() - deadline >= 0 || !isAlive(ref)) {
                        return false;
                    }
                    sleep(PORT_POLL);
                }
            }
            try (QmpClient qmp = connectQmp(ref.controlSocket(), left(deadline))) {
                qmp.quit(left(deadline));
                return true;
            }
        } catch (IOException e) {
            return false;
        } finally {
            held.ifPresent(PortLocks.Held::close);
        }
    }

    /**
     * Connects to QMP, giving up after {@code timeout} even while QEMU has not sent its greeting
     * (it greets only one client at a time; the reader would otherwise wait forever).
     */
    private static QmpClient connectQmp(Path socketPath, Duration timeout) throws IOException {
        SocketChannel socket = SocketChannel.open(UnixDomainSocketAddress.of(socketPath));
        ScheduledFuture<?> guard = TIMER.schedule(() -> {
            try {
                socket.close();
            } catch (IOException e) {
                // the blocked read fails either way
            }
        }, Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        try {
            return QmpClient.connect(socket, timeout);
        } finally {
            guard.cancel(false);
        }
    }

    void kill(PersistentVmRef ref) {
        try {
            killAndWait(ref);
        } finally {
            if (!isAlive(ref)) {
                releaseHostSide(ref);
            }
        }
    }

    private void killAndWait(PersistentVmRef ref) {
        if (!isAlive(ref)) {
            return; // gone, or the pid now belongs to another process: never signal that one
        }
        ProcessHandle.of(ref.pid()).ifPresent(ProcessHandle::destroyForcibly);
        if (!awaitExit(ref, KILL_GRACE)) {
            throw new PyroException(PyroException.Kind.VM_FAILED, "QEMU of VM " + ref.id() + " (pid " + ref.pid()
                    + ") is still running " + KILL_GRACE.toSeconds() + " s after SIGKILL; check it with: ps -p "
                    + ref.pid());
        }
    }

    /** Waits until the VMM is gone; true if it is. */
    private boolean awaitExit(PersistentVmRef ref, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        // QEMU is usually not our child (its JVM is gone), so there is nothing to wait on but /proc.
        while (isAlive(ref)) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            sleep(Duration.ofMillis(10));
        }
        return true;
    }

    void removeRuntimeFiles(PersistentVmRef ref) {
        if (isAlive(ref)) {
            throw new IllegalStateException("VM " + ref.id() + " still runs (pid " + ref.pid() + ")");
        }
        releaseHostSide(ref);
        PortLocks.removeAll(ref.runDir());
        try {
            Files.deleteIfExists(spawnRecord(ref.runDir()));
        } catch (IOException e) {
            // harmless: it names a process that no longer runs
        }
    }

    /** What a VM that no longer runs leaves on the host: its sockets, and its passt or TAP device and rules. */
    private static void releaseHostSide(PersistentVmRef ref) {
        removeSockets(ref);
        ref.network().ifPresent(plan -> QemuNetwork.release(plan, ref.netHelpers()));
    }

    private static void removeSockets(PersistentVmRef ref) {
        List<Path> sockets = new ArrayList<>(ref.agentSockets());
        sockets.add(ref.controlSocket());
        sockets.add(ref.agentSockets().get(0).resolveSibling("net.sock"));
        sockets.add(ref.agentSockets().get(0).resolveSibling("passt.sock"));
        for (Path s : sockets) {
            try {
                Files.deleteIfExists(s);
            } catch (IOException e) {
                // best effort; the next boot removes stale sockets too
            }
        }
        ref.privateSocketDir().ifPresent(d -> {
            try {
                Files.deleteIfExists(d);
            } catch (IOException e) {
                // not empty or already gone
            }
        });
    }

    String describeExit(PersistentVmRef ref) {
        if (isAlive(ref)) {
            return "VM " + ref.id() + " is running (QEMU pid " + ref.pid() + ")";
        }
        StringBuilder s = new StringBuilder("QEMU of VM ").append(ref.id()).append(" (pid ").append(ref.pid())
                .append(") is no longer running");
        BootDiagnosis.qemuError(ref.vmmLog()).ifPresent(line -> s.append("; QEMU said '").append(line).append("'"));
        s.append("; ").append(guestFate(ref));
        return s.append("; console log: ").append(ref.consoleLog()).toString();
    }

    /**
     * What the console says about the guest's end: the agent's power-off line (a clean stop, a
     * TTL), a telling failure (panic, root not mounted), or neither, which means QEMU was killed
     * or crashed under a healthy guest.
     */
    static String guestFate(PersistentVmRef ref) {
        List<String> lines = BootDiagnosis.tailLines(ref.consoleLog());
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i).strip();
            int at = line.indexOf("pyro-agent: powering off");
            if (at >= 0) {
                return "the guest powered off ('" + line.substring(at) + "')";
            }
            if (line.contains("channel ready")) {
                break; // the last boot got this far and no power off followed
            }
        }
        BootDiagnosis.Finding f = BootDiagnosis.fromConsole(ref.consoleLog(), ref.rootImage(), ref.kernel());
        if (!f.hint().isEmpty()) {
            return "console: " + f.describe();
        }
        return "the guest did not power off: QEMU was killed or crashed";
    }

    private PyroException notRunning(PersistentVmRef ref) {
        return new PyroException(PyroException.Kind.VM_FAILED, "VM " + ref.id() + " is not running: "
                + describeExit(ref) + "; start it again");
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted");
        }
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
