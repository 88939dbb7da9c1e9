package dev.pyro.internal.engine.qemu;

import dev.pyro.Accel;
import dev.pyro.ProgressListener;
import dev.pyro.internal.engine.VmSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Run in a child JVM by {@link VmLifecycleIT}: boots one VM, prints {@code READY <qemu pid>}
 * and waits to be killed. Arguments: kernel, root image, run dir, ephemeral (true/false).
 */
public final class ChildVmMain {
    private ChildVmMain() {
    }

    public static void main(String[] args) throws Exception {
        QemuEngine engine = new QemuEngine(QemuBinary.locate());
        QemuVm vm = engine.boot(new VmSpec("child", Path.of(args[2]), Path.of(args[0]), Path.of(args[1]),
                Optional.empty(), 1, 256, Accel.TCG, Boolean.parseBoolean(args[3]), Duration.ofMinutes(5),
                Duration.ofSeconds(90)), ProgressListener.NONE);
        System.out.println("READY " + vm.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
