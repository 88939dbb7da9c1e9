package dev.pyro.internal.engine;

import dev.pyro.ProgressListener;

/** A way to run a guest: QEMU, Firecracker, or the host itself (host-compat). */
public interface Engine {
    /** Stable lower-case name used in results: {@code "qemu"}, {@code "firecracker"}, {@code "host_compat"}. */
    String name();

    /**
     * Boots a VM as described and returns once its guest agent answered {@code HELLO}.
     * On any failure nothing is left running and the exception names the console log.
     */
    RunningVm boot(VmSpec spec, ProgressListener progress);
}
