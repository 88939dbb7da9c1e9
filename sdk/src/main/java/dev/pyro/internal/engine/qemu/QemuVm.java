package dev.pyro.internal.engine.qemu;

import dev.pyro.Accel;
import dev.pyro.ExecutionMode;
import dev.pyro.internal.engine.RunningVm;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.guest.GuestClient;
import dev.pyro.internal.guest.HelloInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/** A QEMU VM whose guest agent answered. Created by {@link QemuEngine#boot}. */
public final class QemuVm implements RunningVm {
    /** How long QEMU gets to exit after QMP {@code quit} before SIGKILL. */
    private static final Duration QUIT_GRACE = Duration.ofSeconds(2);

    private final VmSpec spec;
    private final VmFiles files;
    private final VmmProcess vmm;
    private final QemuNetwork network;
    private volatile boolean detachedNetwork;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile GuestClient guest;
    private volatile QmpClient qmp;
    private volatile HelloInfo hello;

    QemuVm(VmSpec spec, VmFiles files, VmmProcess vmm, QemuNetwork network) {
        this.spec = spec;
        this.files = files;
        this.vmm = vmm;
        this.network = network;
    }

    /** The host side of its network, if it has one. */
    Optional<QemuNetwork> network() {
        return Optional.ofNullable(network);
    }

    /**
     * Hands the host side of the network over to whoever records the VM (a persistent VM's
     * passt and TAP device outlive this object); {@link #close()} then leaves them alone.
     */
    void detachNetwork() {
        detachedNetwork = true;
    }

    void attach(GuestClient guestClient, QmpClient qmpClient) {
        this.guest = guestClient;
        this.qmp = qmpClient;
    }

    void ready(HelloInfo info) {
        this.hello = info;
    }

    @Override
    public String id() {
        return spec.id();
    }

    @Override
    public Accel accel() {
        return spec.accel();
    }

    @Override
    public ExecutionMode executionMode() {
        return ExecutionMode.GUEST_VIRTIO_SERIAL;
    }

    @Override
    public long pid() {
        return vmm.pid();
    }

    @Override
    public Path consoleLog() {
        return files.consoleLog();
    }

    /** QEMU's own stdout/stderr (its errors), next to the console log. */
    public Path qemuLog() {
        return files.qemuLog();
    }

    public VmFiles files() {
        return files;
    }

    @Override
    public GuestClient guest() {
        return guest;
    }

    @Override
    public HelloInfo hello() {
        return hello;
    }

    /** QMP control of this VM (for status queries); empty once closed. */
    public Optional<QmpClient> qmp() {
        QmpClient q = qmp;
        return q != null && q.isOpen() ? Optional.of(q) : Optional.empty();
    }

    /**
     * Closes this process's QMP connection (QEMU serves one QMP client at a time; a persistent
     * VM's QMP must be free for the processes that control it later).
     */
    void releaseQmp() {
        QmpClient q = qmp;
        qmp = null;
        if (q != null) {
            q.close();
        }
    }

    public boolean isAlive() {
        return vmm.isAlive();
    }

    /** Waits for QEMU to exit by itself; true if it did within the timeout. */
    public boolean awaitExit(Duration timeout) {
        return vmm.waitFor(timeout);
    }

    /** QEMU's exit status, once it exited. */
    public Optional<Integer> exitStatus() {
        return Optional.ofNullable(vmm.exit().getNow(null));
    }

    /**
     * Clean power off: SHUTDOWN to the agent (it syncs and unmounts the writable disk), then
     * wait for QEMU to exit by itself; if it does not within {@code timeout}, QMP {@code quit},
     * and SIGKILL if that does not work either. Always ends with {@link #close()}.
     */
    @Override
    public void shutdown(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            GuestClient g = guest;
            if (vmm.isAlive() && g != null && g.isConnected()) {
                g.shutdown(left(deadline));
            }
            if (!vmm.waitFor(left(deadline))) {
                QmpClient q = qmp;
                if (q != null && q.isOpen()) {
                    try {
                        q.quit(QUIT_GRACE);
                    } catch (IOException e) {
                        // SIGKILL below
                    }
                }
                if (!vmm.waitFor(QUIT_GRACE)) {
                    vmm.kill();
                }
            }
        } catch (RuntimeException e) {
            vmm.kill(); // e.g. interrupted: still leave nothing behind
        } finally {
            close();
        }
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    @Override
    public void kill() {
        vmm.kill();
    }

    /** SIGKILL without waiting (the shutdown hook kills all VMs first, then waits). */
    void signalKill() {
        vmm.process().destroyForcibly();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (vmm.isAlive()) {
                vmm.kill();
            }
        } catch (RuntimeException e) {
            // never throws
        }
        GuestClient g = guest;
        if (g != null) {
            g.close();
        }
        QmpClient q = qmp;
        if (q != null) {
            q.close();
        }
        if (network != null && !detachedNetwork) {
            network.close();
        }
        files.removeSockets();
        EphemeralReaper.unregister(this);
    }

    /**
     * What went wrong, for errors of the guest connection: QEMU's fate, the console's telling
     * line and where the console log is. One line.
     */
    String diagnostics() {
        vmm.waitFor(Duration.ofMillis(500)); // the connection usually drops just before QEMU exits
        StringBuilder s = new StringBuilder();
        Integer status = vmm.exit().getNow(null);
        if (status != null) {
            if (status > 128) {
                // Killed from outside: the console only shows a healthy guest.
                s.append("QEMU was killed by signal ").append(status - 128);
            } else {
                s.append("QEMU exited with status ").append(status);
                BootDiagnosis.qemuError(files.qemuLog()).ifPresent(line -> s.append(" ('").append(line).append("')"));
                BootDiagnosis.Finding f = BootDiagnosis.fromConsole(files.consoleLog(), spec.rootImage(), spec.kernel());
                if (!f.line().isEmpty()) {
                    s.append("; console: ").append(f.describe());
                }
            }
            s.append("; ");
        }
        return s.append("console log: ").append(files.consoleLog()).toString();
    }

    @Override
    public String toString() {
        return "QemuVm[" + spec.id() + ", pid " + vmm.pid() + ", " + spec.accel().wireName() + "]";
    }
}
