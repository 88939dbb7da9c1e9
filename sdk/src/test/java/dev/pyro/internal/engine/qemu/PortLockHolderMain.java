package dev.pyro.internal.engine.qemu;

import java.nio.file.Path;

/** Child JVM for {@link PortLocksTest}: takes a port lock, prints HELD or BUSY, then waits to be killed. */
public final class PortLockHolderMain {
    private PortLockHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        var held = PortLocks.tryAcquire(Path.of(args[0]));
        System.out.println(held.isPresent() ? "HELD" : "BUSY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
