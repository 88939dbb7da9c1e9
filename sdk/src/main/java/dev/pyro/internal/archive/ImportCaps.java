package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import java.util.Locale;
import java.util.Map;

/**
 * Limits of one transfer: how many entries and how many bytes of file data it may carry.
 * Every seed, sync and export is held to them on the host (before anything is sent or
 * written), and imports also pass them to the guest agent, which enforces them again.
 *
 * <p>Defaults: {@value #DEFAULT_MAX_ENTRIES} entries and 10 GiB. The environment variables
 * {@value #ENV_MAX_ENTRIES} and {@value #ENV_MAX_BYTES} override them ({@link #fromEnvironment()});
 * sizes may end in K, M, G or T (powers of 1024, an optional "iB" or "B" is accepted).
 *
 * @param maxEntries entries allowed (at least 1)
 * @param maxBytes bytes of file data allowed (at least 1)
 */
public record ImportCaps(long maxEntries, long maxBytes) {
    public static final long DEFAULT_MAX_ENTRIES = 200_000;
    public static final long DEFAULT_MAX_BYTES = 10L << 30;
    public static final String ENV_MAX_ENTRIES = "PYRO_IMPORT_MAX_ENTRIES";
    public static final String ENV_MAX_BYTES = "PYRO_IMPORT_MAX_BYTES";

    public ImportCaps {
        if (maxEntries < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("caps must be at least 1: " + maxEntries + " entries, " + maxBytes
                    + " bytes");
        }
    }

    /** The built-in defaults, ignoring the environment. */
    public static ImportCaps defaults() {
        return new ImportCaps(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES);
    }

    /** The defaults overridden by {@value #ENV_MAX_ENTRIES} and {@value #ENV_MAX_BYTES}. */
    public static ImportCaps fromEnvironment() {
        return from(System.getenv());
    }

    /**
     * The defaults overridden by the two variables in {@code env}.
     *
     * @throws PyroException {@code INVALID_ARGUMENT} naming the variable when a value is not a
     *     positive number
     */
    public static ImportCaps from(Map<String, String> env) {
        long entries = parse(env.get(ENV_MAX_ENTRIES), ENV_MAX_ENTRIES, DEFAULT_MAX_ENTRIES, false);
        long bytes = parse(env.get(ENV_MAX_BYTES), ENV_MAX_BYTES, DEFAULT_MAX_BYTES, true);
        return new ImportCaps(entries, bytes);
    }

    private static long parse(String value, String name, long fallback, boolean size) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        String v = value.strip().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (size) {
            v = v.endsWith("IB") ? v.substring(0, v.length() - 2) : v.endsWith("B") ? v.substring(0, v.length() - 1) : v;
            if (!v.isEmpty()) {
                int shift = "KMGT".indexOf(v.charAt(v.length() - 1));
                if (shift >= 0) {
                    unit = 1L << (10 * (shift + 1));
                    v = v.substring(0, v.length() - 1);
                }
            }
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n >= 1 && n <= Long.MAX_VALUE / unit) {
                return n * unit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw PyroException.invalidArgument(name + "='" + value + "' is not " + (size
                ? "a size; use a positive number of bytes, optionally with K, M, G or T (e.g. 20G)"
                : "a count; use a positive whole number (e.g. 500000)"));
    }

    /** The advice appended to a limit error. */
    String entriesAdvice() {
        return "raise the limit with " + ENV_MAX_ENTRIES + " (now " + maxEntries + ")";
    }

    String bytesAdvice() {
        return "raise the limit with " + ENV_MAX_BYTES + " (now " + maxBytes + " bytes)";
    }
}
