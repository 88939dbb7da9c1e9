package dev.pyro.internal.runtime;

/** The state of one runtime component in the cache. */
public enum ComponentState {
    /** Not built (or its files are gone). */
    MISSING,
    /** Built from the current recipes, files intact. */
    READY,
    /** Built, but from older recipes or an older agent; materialize rebuilds it. */
    STALE,
    /** Built from the current recipes, but its files no longer match what was installed. */
    CORRUPT;

    /** The lower-case name used in JSON and CLI output. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
