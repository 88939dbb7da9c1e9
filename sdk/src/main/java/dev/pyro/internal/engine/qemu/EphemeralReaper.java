package dev.pyro.internal.engine.qemu;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kills the ephemeral VMs still running when the JVM exits normally or on SIGINT/SIGTERM
 * (Ctrl-C). SIGKILL of the JVM runs no hook; {@code setpriv --pdeathsig} covers that case
 * (see {@link VmmProcess}), and the guest agent powers off when its channel closes.
 */
final class EphemeralReaper {
    private static final Set<QemuVm> LIVE = ConcurrentHashMap.newKeySet();
    private static boolean hookInstalled;

    private EphemeralReaper() {
    }

    static synchronized void register(QemuVm vm) {
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(EphemeralReaper::reapAll, "pyro-reaper"));
            hookInstalled = true;
        }
        LIVE.add(vm);
    }

    static void unregister(QemuVm vm) {
        LIVE.remove(vm);
    }

    private static void reapAll() {
        // Kill all first (SIGKILL returns at once), then wait and clean up each.
        List<QemuVm> vms = List.copyOf(LIVE);
        vms.forEach(QemuVm::signalKill);
        vms.forEach(QemuVm::close);
    }
}
