package dev.pyro.internal.runtime;

import java.util.Collection;

/**
 * A content key for a cached build output: the SHA-256 of a canonical text listing every
 * input by name. The text is kept (and stored next to the output) so a surprising rebuild
 * can be explained by diffing two keys' inputs.
 */
final class CacheKey {
    /** Hex digits of the hash used in directory names: 64 bits, ample for a local cache. */
    static final int ID_LENGTH = 16;

    private final StringBuilder canonical = new StringBuilder();

    private CacheKey(String builder) {
        add("builder", builder);
    }

    /** Starts a key for the given builder name and version, e.g. {@code "kernel/1"}. */
    static CacheKey builder(String builderVersion) {
        return new CacheKey(builderVersion);
    }

    CacheKey add(String name, String value) {
        return append(name, escape(value));
    }

    /** A list input: its items escaped, then joined with commas (so "a,b" differs from "a" and "b"). */
    CacheKey add(String name, Collection<String> values) {
        return append(name, String.join(",", values.stream().map(CacheKey::escape).toList()));
    }

    private CacheKey append(String name, String escaped) {
        canonical.append(name).append('=').append(escaped).append('\n');
        return this;
    }

    /** The input listing the key is computed from. */
    String canonical() {
        return canonical.toString();
    }

    /** The short id used in cache directory names. */
    String id() {
        return Hashes.sha256(canonical()).substring(0, ID_LENGTH);
    }

    private static String escape(String value) {
        // Names never contain '=', so only newlines and the list separator need escaping.
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,");
    }
}
