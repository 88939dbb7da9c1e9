package dev.pyro.internal.state;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The lifecycle state of a machine (docs/state.md has the diagram). The three "-ing" states
 * are transitions in progress: the record names the process doing it (its owner), so that a
 * process that finds one whose owner died knows the transition was interrupted.
 */
public enum MachineState {
    /** Recorded (disk made, seed imported) but never booted. */
    CREATED,
    /** A process is booting it (owner set). */
    STARTING,
    /** Its VMM runs (pid and start time recorded) and the guest agent answered. */
    STARTED,
    /** A process is stopping it (owner set). */
    STOPPING,
    /** Not running; its disk keeps everything. Can be started again. */
    STOPPED,
    /** Not running because something went wrong (last_error says what). Can be started again. */
    FAILED,
    /** A process is deleting it (owner set); the record goes away when that is done. */
    DELETING;

    /** The value stored in the database and shown in JSON. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static MachineState fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** True for the states a process is in the middle of (owner set, crash detection applies). */
    public boolean inTransition() {
        return this == STARTING || this == STOPPING || this == DELETING;
    }

    /**
     * The states this one may change to. The store refuses any other change, so a bug in a
     * caller cannot, say, mark a deleting machine started.
     */
    public Set<MachineState> next() {
        switch (this) {
            case CREATED:
                return EnumSet.of(STARTING, DELETING, FAILED);
            case STARTING:
                // started; boot failed; the VMM was found gone after the starter died (reconcile)
                return EnumSet.of(STARTED, FAILED, STOPPED);
            case STARTED:
                // stop; VMM found dead (reconcile: failed, or stopped after a guest power off); delete
                return EnumSet.of(STOPPING, STOPPED, FAILED, DELETING);
            case STOPPING:
                return EnumSet.of(STOPPED, FAILED);
            case STOPPED:
                return EnumSet.of(STARTING, DELETING);
            case FAILED:
                return EnumSet.of(STARTING, DELETING, STOPPED);
            case DELETING:
                // the deleter hit an error it could not get past (the record stays, with last_error)
                return EnumSet.of(FAILED);
            default:
                throw new AssertionError(this);
        }
    }

    public boolean canBecome(MachineState target) {
        return this == target || next().contains(target);
    }
}
