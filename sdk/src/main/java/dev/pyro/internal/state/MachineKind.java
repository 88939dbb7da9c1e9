package dev.pyro.internal.state;

import java.util.Locale;

/** What a machine record describes. */
public enum MachineKind {
    /** A VM created with {@code pyro vm create}. */
    VM,
    /** A persistent workspace ({@code pyro workspace create}): a VM with a seeded /workspace. */
    WORKSPACE;

    /** The value stored in the database and shown in JSON. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static MachineKind fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
