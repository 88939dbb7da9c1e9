package dev.pyro.internal.state;

import java.util.Locale;

/** The state of one command in a machine's journal. */
public enum JournalState {
    /** Started; its executor (a pyro process) waits for it. */
    RUNNING,
    /** It ended and its exit code is known (including a timeout: exit 124). */
    FINISHED,
    /**
     * No exit code will come: it could not start, the VM died under it, or its executor died
     * (found by {@link StateStore#failAbandonedCommands}).
     */
    FAILED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JournalState fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
