package dev.pyro.internal.host;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Tracks the external processes pyro started, so that none outlives the JVM: a shutdown hook
 * kills every registered process and all its descendants (make's compilers, mmdebstrap's
 * apt and dpkg) when the JVM exits early, e.g. on Ctrl-C.
 */
public final class ChildProcesses {
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::killAll, "pyro-kill-children"));
    }

    private ChildProcesses() {
    }

    /** Registers a started process; unregister it once it has been waited for. */
    public static void register(Process process) {
        RUNNING.add(process);
    }

    public static void unregister(Process process) {
        RUNNING.remove(process);
    }

    /** Kills a process and all its descendants, deepest first, without waiting long. */
    public static void killTree(Process process) {
        // Snapshot the descendants before killing the parent: once it dies they are re-parented.
        List<ProcessHandle> descendants = process.descendants().collect(Collectors.toList());
        process.destroyForcibly();
        for (int i = descendants.size() - 1; i >= 0; i--) {
            descendants.get(i).destroyForcibly();
        }
    }

    private static void killAll() {
        for (Process process : RUNNING) {
            killTree(process);
        }
    }
}
