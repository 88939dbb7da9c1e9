package dev.pyro;

import java.util.Locale;

/** Lifecycle state of a VM or workspace. */
public enum MachineState {
    /** The record and its disk exist; the VM has not been started (vm create). */
    CREATED,
    /** A pyro process is booting it. */
    STARTING,
    /** Its VMM runs and its guest agent answered. */
    STARTED,
    /** A pyro process is shutting it down. */
    STOPPING,
    /** Shut down cleanly; its disk keeps everything written in the guest. */
    STOPPED,
    /** A pyro process is deleting it. */
    DELETING,
    /** Its VMM died unexpectedly or a transition was interrupted; {@code lastError} says why. Can be started again. */
    FAILED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
