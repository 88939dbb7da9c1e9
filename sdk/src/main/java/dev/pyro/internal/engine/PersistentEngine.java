package dev.pyro.internal.engine;

import dev.pyro.ProgressListener;
import java.time.Duration;

/**
 * An engine whose VMs can outlive the process that booted them and be controlled from any
 * later process through a {@link PersistentVmRef}. Every method but
 * {@link #bootPersistent} is safe to call from several processes at once.
 */
public interface PersistentEngine extends Engine {
    /** How a VM ended in {@link #stop}. */
    enum StopOutcome {
        /** The guest synced its disks and powered off on SHUTDOWN. */
        CLEAN,
        /** The guest did not power off in time (or could not be reached); the VMM was asked to quit. */
        QUIT,
        /** The VMM had to be killed: the guest's last writes may be lost (its journal keeps the disk consistent). */
        KILLED,
        /** It was not running. */
        NOT_RUNNING
    }

    /**
     * A booted persistent VM and the first connection to its agent (port 0), handed over to the
     * caller.
     *
     * @param ref how to find and control it later
     * @param connection the caller's connection; close it when done (the VM keeps running)
     * @param bootMillis time from starting the VMM to the agent's HELLO_OK
     */
    record Booted(PersistentVmRef ref, AgentConnection connection, long bootMillis) {
    }

    /**
     * Boots a VM that outlives this JVM ({@code spec.ephemeral()} must be false and
     * {@code spec.writableDisk()} present: an ext4 filesystem, see {@link WritableDisk}).
     * On any failure nothing is left running.
     */
    Booted bootPersistent(VmSpec spec, ProgressListener progress);

    /**
     * The ref of the latest boot in {@code runDir}, recorded as soon as its VMM was spawned,
     * before the guest booted: how a process that finds a boot interrupted (the booting process
     * was killed before it could record the ref anywhere) finds the VMM to kill. Empty if none.
     */
    java.util.Optional<PersistentVmRef> lastSpawned(java.nio.file.Path runDir);

    /**
     * Ends what an interrupted boot of VM {@code vmId} left on the host (its booter died): the
     * VMM of {@link #lastSpawned}, and any VMM or network helper of this VM not recorded yet
     * (found by command line), and the host side of {@code network}. Scans the process table:
     * for crash recovery, not for every call.
     */
    void abandonBoot(String vmId, java.nio.file.Path runDir,
            java.util.Optional<dev.pyro.internal.net.NetworkPlan> network);

    /** True if the VM's VMM process runs: same pid, same start time, and it is this VM's VMM. */
    boolean isAlive(PersistentVmRef ref);

    /**
     * Connects to the agent over a free port (one no other connection, of any process, holds),
     * waiting up to {@code wait} for one to become free, and says HELLO.
     *
     * @throws dev.pyro.PyroException {@code VM_FAILED} when the VM is not running (the message
     *     says why, from its console), or no port became free in time
     */
    AgentConnection attach(PersistentVmRef ref, Duration wait);

    /**
     * Stops the VM: SHUTDOWN to the agent over a free port (the guest syncs its disk), waiting
     * up to {@code timeout} for the VMM to exit; then asks the VMM to quit; then kills it.
     * Works when no port is free or the agent is unresponsive. Removes the sockets.
     */
    StopOutcome stop(PersistentVmRef ref, Duration timeout);

    /** Kills the VMM at once (if it is still this VM's) and removes the sockets. */
    void kill(PersistentVmRef ref);

    /**
     * Removes what a VM that no longer runs leaves behind: sockets, the private socket directory,
     * port lock files and the spawn record (logs and the disk stay).
     *
     * @throws IllegalStateException if the VM still runs
     */
    void removeRuntimeFiles(PersistentVmRef ref);

    /**
     * Why the VM is not running, in one line for error messages and status: the VMM's error or
     * the console's telling line, and where the console log is.
     */
    String describeExit(PersistentVmRef ref);
}
