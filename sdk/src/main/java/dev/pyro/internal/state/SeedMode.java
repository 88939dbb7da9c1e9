package dev.pyro.internal.state;

import java.util.Locale;

/** How a workspace's /workspace was first filled. */
public enum SeedMode {
    /** Nothing: /workspace starts empty. */
    EMPTY,
    /** From a host directory. */
    DIRECTORY,
    /** From a tar archive on the host. */
    TAR_ARCHIVE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SeedMode fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
