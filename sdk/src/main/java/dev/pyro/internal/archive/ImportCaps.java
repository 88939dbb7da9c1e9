package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Limits of one transfer: how many entries and how many bytes of file data it may carry, and
 * how long it may take. Every seed, sync and export is held to them on the host (before
 * anything is sent or written), and imports also pass the first two to the guest agent, which
 * enforces them again.
 *
 * <p>Defaults: {@value #DEFAULT_MAX_ENTRIES} entries (the directories that entries' paths imply
 * count too), 10 GiB and 30 minutes. The environment variables {@value #ENV_MAX_ENTRIES},
 * {@value #ENV_MAX_BYTES} and {@value #ENV_TIMEOUT} override them ({@link #fromEnvironment()});
 * sizes may end in K, M, G or T (powers of 1024, an optional "iB" or "B" is accepted), times
 * are seconds or end in s, m or h.
 *
 * @param maxEntries entries allowed (at least 1)
 * @param maxBytes bytes of file data allowed (at least 1)
 * @param timeout the longest a whole transfer may take, from its start to its end (positive)
 */
public record ImportCaps(long maxEntries, long maxBytes, Duration timeout) {
    public static final long DEFAULT_MAX_ENTRIES = 200_000;
    public static final long DEFAULT_MAX_BYTES = 10L << 30;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(30);
    public static final String ENV_MAX_ENTRIES = "PYRO_IMPORT_MAX_ENTRIES";
    public static final String ENV_MAX_BYTES = "PYRO_IMPORT_MAX_BYTES";
    public static final String ENV_TIMEOUT = "PYRO_TRANSFER_TIMEOUT";

    public ImportCaps {
        Objects.requireNonNull(timeout, "timeout");
        if (maxEntries < 1 || maxBytes < 1 || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("caps must be positive: " + maxEntries + " entries, " + maxBytes
                    + " bytes, " + timeout);
        }
    }

    /** Caps with the default time limit. */
    public ImportCaps(long maxEntries, long maxBytes) {
        this(maxEntries, maxBytes, DEFAULT_TIMEOUT);
    }

    /** The built-in defaults, ignoring the environment. */
    public static ImportCaps defaults() {
        return new ImportCaps(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT);
    }

    /** These caps with another time limit. */
    public ImportCaps withTimeout(Duration limit) {
        return new ImportCaps(maxEntries, maxBytes, limit);
    }

    /** The moment ({@link System#nanoTime()}) a transfer started now must end by. */
    public long deadlineFromNow() {
        long now = System.nanoTime();
        long nanos = timeout.toNanos();
        return nanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
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
        Duration timeout = parseDuration(env.get(ENV_TIMEOUT));
        return new ImportCaps(entries, bytes, timeout);
    }

    private static Duration parseDuration(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_TIMEOUT;
        }
        String v = value.strip().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (!v.isEmpty() && "smh".indexOf(v.charAt(v.length() - 1)) >= 0) {
            unit = switch (v.charAt(v.length() - 1)) {
                case 'm' -> 60;
                case 'h' -> 3600;
                default -> 1;
            };
            v = v.substring(0, v.length() - 1).strip();
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 1 && n <= 100L * 365 * 86400 / unit) {
                return Duration.ofSeconds(n * unit);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw PyroException.invalidArgument(ENV_TIMEOUT + "='" + value + "' is not a time; use a positive number "
                + "of seconds, optionally with s, m or h (e.g. 45m)");
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

    String timeoutAdvice() {
        return "raise the limit with " + ENV_TIMEOUT + " (now " + timeout.toSeconds() + " s)";
    }

    /** The error for a transfer that ran past {@link #timeout()}. */
    PyroException timedOut(String what, String consequence) {
        return PyroException.invalidArgument(what + " took longer than " + timeout.toSeconds() + " s (the transfer "
                + "time limit); " + consequence + " (" + timeoutAdvice() + ")");
    }
}
