package dev.pyro.internal.engine.qemu;

import dev.pyro.Accel;
import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.engine.AgentConnection;
import dev.pyro.internal.engine.PersistentEngine;
import dev.pyro.internal.engine.PersistentVmRef;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.guest.GuestClient;
import dev.pyro.internal.guest.HelloInfo;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs guests with {@code qemu-system-x86_64 -M microvm}, under KVM or software emulation
 * (TCG). The guest agent is reached over a virtio-serial port whose host side is a unix socket;
 * QEMU itself is controlled over QMP. See docs/engines.md.
 */
public final class QemuEngine implements PersistentEngine {
    /** Longest wait for QMP's greeting and capabilities negotiation. */
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(5);

    private final QemuBinary qemu;
    private final QemuCommandLine.Tuning tuning;
    private final Duration execGrace;
    private final PersistentQemuVms persistent;

    public QemuEngine(QemuBinary qemu) {
        this(qemu, QemuCommandLine.Tuning.defaults(), GuestClient.DEFAULT_EXEC_GRACE);
    }

    /**
     * @param tuning command-line tunables (defaults: {@link QemuCommandLine.Tuning#defaults()})
     * @param execGrace time past a command's timeout after which the guest counts as unresponsive
     */
    public QemuEngine(QemuBinary qemu, QemuCommandLine.Tuning tuning, Duration execGrace) {
        this.qemu = Objects.requireNonNull(qemu, "qemu");
        this.tuning = Objects.requireNonNull(tuning, "tuning");
        this.execGrace = Objects.requireNonNull(execGrace, "execGrace");
        this.persistent = new PersistentQemuVms(this, execGrace);
    }

    @Override
    public String name() {
        return "qemu";
    }

    public QemuBinary binary() {
        return qemu;
    }

    /**
     * Boots a VM that outlives this JVM: QEMU runs in its own session (no parent-death signal),
     * its logs and console stay in the run directory, and every agent port of {@code spec} gets
     * a socket. The caller gets the first connection (port 0). The agent must confirm that the
     * overlay's upper layer is on the writable disk (see {@link #requireUpperDisk}).
     */
    @Override
    public Booted bootPersistent(VmSpec spec, ProgressListener progress) {
        return persistent.boot(spec, progress);
    }

    /**
     * Whether persistent boots fail when the agent does not report
     * {@link HelloInfo#FEATURE_UPPER_DISK} (default: yes). Agents before the multi-port release
     * never report it; turn the check off only to boot such an image.
     */
    public QemuEngine requireUpperDisk(boolean require) {
        persistent.requireUpperDisk(require);
        return this;
    }

    @Override
    public java.util.Optional<PersistentVmRef> lastSpawned(Path runDir) {
        return persistent.lastSpawned(runDir);
    }

    @Override
    public void abandonBoot(String vmId, Path runDir, java.util.Optional<dev.pyro.internal.net.NetworkPlan> network) {
        persistent.abandonBoot(vmId, runDir, network);
    }

    @Override
    public boolean isAlive(PersistentVmRef ref) {
        return persistent.isAlive(ref);
    }

    @Override
    public AgentConnection attach(PersistentVmRef ref, Duration wait) {
        return persistent.attach(ref, wait);
    }

    @Override
    public StopOutcome stop(PersistentVmRef ref, Duration timeout) {
        return persistent.stop(ref, timeout);
    }

    @Override
    public void kill(PersistentVmRef ref) {
        persistent.kill(ref);
    }

    @Override
    public void removeRuntimeFiles(PersistentVmRef ref) {
        persistent.removeRuntimeFiles(ref);
    }

    @Override
    public String describeExit(PersistentVmRef ref) {
        return persistent.describeExit(ref);
    }

    /**
     * Boots the VM and returns once its agent answered HELLO. On failure QEMU is killed, the
     * sockets are removed, and the {@code VM_FAILED} message names the telling console (or QEMU)
     * line, the fix, and the console log.
     */
    @Override
    public QemuVm boot(VmSpec spec, ProgressListener progress) {
        return boot(spec, progress, null, null);
    }

    /**
     * @param port0Lock released when the connection to agent port 0 ends (persistent VMs hold
     *     that port's lock from the start); null for none
     * @param spawned called with the run files and QEMU's pid as soon as QEMU runs, before the
     *     guest booted (persistent VMs record themselves there, so that a process that finds
     *     the boot interrupted can find the QEMU); if it throws, the boot fails; null for none
     */
    QemuVm boot(VmSpec spec, ProgressListener progress, PortLocks.Held port0Lock,
            SpawnListener spawned) {
        checkInputs(spec);
        long start = System.nanoTime();
        long deadline = start + spec.bootTimeout().toNanos();
        VmFiles files;
        try {
            files = VmFiles.create(spec.runDir(), spec.id(), spec.agentPorts());
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot prepare the run directory " + spec.runDir()
                    + " of VM " + spec.id() + ": " + e.getMessage() + "; check its permissions and free space", e);
        }
        QemuNetwork network = null;
        if (spec.network().isPresent()) {
            progress.onProgress(ProgressEvent.of("boot", "setting up the " + spec.network().get().backend().wireName()
                    + " network of VM " + spec.id()));
            try {
                network = QemuNetwork.up(spec.network().get(), spec.id(), files, spec.ephemeral());
            } catch (RuntimeException e) {
                files.removeSockets();
                throw e;
            }
        }
        List<String> command = QemuCommandLine.build(qemu, spec, files, tuning,
                network == null ? List.of() : network.netdev());
        progress.onProgress(ProgressEvent.of("boot", "starting VM " + spec.id() + " (qemu, "
                + (spec.accel() == Accel.KVM ? "kvm" : "tcg: software emulation") + ")"));
        VmmProcess vmm;
        try {
            // The command line heads QEMU's log: what ran is the first thing to check.
            Files.writeString(files.qemuLog(), "# " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            Files.deleteIfExists(files.consoleLog());
            vmm = VmmProcess.start(spec.id(), command, files.qemuLog(), spec.ephemeral());
        } catch (IOException e) {
            if (network != null) {
                network.close();
            }
            files.removeSockets();
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot start " + qemu.path() + " for VM "
                    + spec.id() + ": " + e.getMessage(), e);
        }
        QemuVm vm = new QemuVm(spec, files, vmm, network);
        if (spec.ephemeral()) {
            EphemeralReaper.register(vm);
        }
        try {
            if (spawned != null) {
                spawned.spawned(files, vmm.pid(), network == null ? List.of() : network.helpers());
            }
            SocketChannel agent = connectWhenListening(files.agentSocket(), vmm, deadline);
            QmpClient qmp = QmpClient.connect(connectWhenListening(files.qmpSocket(), vmm, deadline),
                    min(QMP_TIMEOUT, left(deadline)));
            AutoCloseable transport = port0Lock == null ? agent : () -> {
                try {
                    agent.close();
                } finally {
                    port0Lock.close(); // only once the socket is closed may another client take the port
                }
            };
            GuestClient guest = new GuestClient("the guest agent of VM " + spec.id(), agent, agent, transport, execGrace);
            vm.attach(guest, qmp);
            guest.setDiagnostics(vm::diagnostics);
            progress.onProgress(ProgressEvent.of("boot", "waiting for the guest agent of VM " + spec.id()));
            HelloInfo hello = guest.hello(left(deadline));
            vm.ready(hello);
            progress.onProgress(ProgressEvent.of("boot", "VM " + spec.id() + " is up ("
                    + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms, kernel " + hello.kernelRelease()
                    + ", agent " + hello.agentVersion() + ")"));
            return vm;
        } catch (PyroException | IOException e) {
            boolean timedOut = System.nanoTime() - deadline >= 0;
            // QEMU's fate before we kill it: did it exit by itself, and how?
            vmm.waitFor(Duration.ofMillis(200));
            Integer status = vmm.exit().getNow(null);
            vm.close(); // kills QEMU, removes the sockets
            if (e instanceof PyroException pe && pe.kind() != PyroException.Kind.VM_FAILED) {
                throw pe; // e.g. RUNTIME_NOT_READY: the agent speaks another protocol version
            }
            throw bootFailure(spec, files, status, timedOut, e);
        } catch (RuntimeException | Error e) {
            vm.close();
            throw e;
        }
    }

    /** Told as soon as QEMU (and the network helper, if any) runs, before the guest booted. */
    @FunctionalInterface
    interface SpawnListener {
        void spawned(VmFiles files, long vmmPid, List<dev.pyro.internal.host.ProcessIdentity> netHelpers);
    }

    private static void checkInputs(VmSpec spec) {
        if (!Files.isRegularFile(spec.kernel())) {
            throw new PyroException(PyroException.Kind.RUNTIME_NOT_READY, "guest kernel " + spec.kernel()
                    + " does not exist; build it with `pyro runtime build-kernel`");
        }
        if (!Files.isRegularFile(spec.rootImage())) {
            throw new PyroException(PyroException.Kind.RUNTIME_NOT_READY, "root image " + spec.rootImage()
                    + " does not exist; build it with `pyro runtime build-rootfs <environment>`");
        }
        spec.writableDisk().ifPresent(disk -> {
            if (!Files.isRegularFile(disk)) {
                throw new PyroException(PyroException.Kind.NOT_FOUND, "writable disk " + disk + " of VM " + spec.id()
                        + " does not exist; recreate the workspace");
            }
        });
        if (spec.memMib() < 64) {
            throw PyroException.invalidArgument("VM " + spec.id() + " needs at least 64 MiB of memory, got "
                    + spec.memMib());
        }
    }

    /** Builds the one-line boot error from what QEMU and the console left behind. */
    private static PyroException bootFailure(VmSpec spec, VmFiles files, Integer status, boolean timedOut,
            Exception cause) {
        Optional<String> qemuError = BootDiagnosis.qemuError(files.qemuLog());
        BootDiagnosis.Finding console = BootDiagnosis.fromConsole(files.consoleLog(), spec.rootImage(), spec.kernel());
        boolean consoleEmpty = BootDiagnosis.tailLines(files.consoleLog()).isEmpty();
        String what;
        if (timedOut) {
            what = "VM " + spec.id() + " did not boot within " + spec.bootTimeout().toSeconds() + " s: "
                    + (consoleEmpty ? "the guest printed nothing" : console.describe());
        } else if (status != null && status != 0 && qemuError.isPresent() && consoleEmpty) {
            what = "QEMU failed to start VM " + spec.id() + ": '" + qemuError.get() + "'" + qemuHint(qemuError.get(), spec)
                    + "; QEMU log: " + files.qemuLog();
        } else if (status != null) {
            what = "VM " + spec.id() + " stopped during boot (QEMU exit status " + status + "): " + console.describe();
        } else {
            // QEMU still ran: the failure is ours or the channel's (e.g. QMP did not answer).
            what = "VM " + spec.id() + " failed to boot: " + cause.getMessage()
                    + (consoleEmpty ? "" : "; last console line: " + console.describe());
        }
        return new PyroException(PyroException.Kind.VM_FAILED, what + "; console log: " + files.consoleLog(), cause);
    }

    private static String qemuHint(String line, VmSpec spec) {
        if (line.contains("KVM") || line.contains("kvm") || line.contains("MSR")) {
            return "; KVM does not work here, use software emulation (accel tcg)";
        }
        if (line.contains("lock")) {
            return "; another VM is using one of its disks";
        }
        return "";
    }

    private static SocketChannel connectWhenListening(Path socket, VmmProcess vmm, long deadline) throws IOException {
        while (true) {
            if (Files.exists(socket)) {
                try {
                    return SocketChannel.open(UnixDomainSocketAddress.of(socket));
                } catch (ConnectException | NoSuchFileException e) {
                    // QEMU has bound the socket (the file exists) but not called listen() yet
                }
            }
            waitABit(socket, vmm, deadline);
        }
    }

    /** Sleeps 5 ms, or less if QEMU exits; throws if QEMU is gone or the deadline passed. */
    private static void waitABit(Path socket, VmmProcess vmm, long deadline) throws IOException {
        if (!vmm.isAlive()) {
            throw new IOException("QEMU exited before it listened on " + socket);
        }
        if (System.nanoTime() - deadline >= 0) {
            throw new IOException("QEMU did not listen on " + socket + " in time");
        }
        // Polls a file that QEMU creates within milliseconds of starting; waiting on the
        // process means an early exit ends the wait at once.
        vmm.waitFor(Duration.ofMillis(5));
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public String toString() {
        return "QemuEngine[" + qemu.path() + " " + qemu.version() + "]";
    }
}
