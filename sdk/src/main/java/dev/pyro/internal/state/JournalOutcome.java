package dev.pyro.internal.state;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a command ended, for {@link StateStore#finishCommand}. The output is given as bytes (the
 * last ones the caller kept); the store keeps the last {@link StateStore#TAIL_BYTES} as text.
 *
 * @param state FINISHED or FAILED
 * @param exitCode the exit code (FINISHED)
 * @param timedOut killed by its timeout
 * @param durationMillis how long it ran
 * @param stdout the end of its stdout
 * @param stderr the end of its stderr
 * @param error why it failed (FAILED)
 */
public record JournalOutcome(JournalState state, OptionalInt exitCode, boolean timedOut, long durationMillis,
        byte[] stdout, byte[] stderr, Optional<String> error) {
    public JournalOutcome {
        Objects.requireNonNull(state, "state");
        if (state == JournalState.RUNNING) {
            throw new IllegalArgumentException("an outcome is FINISHED or FAILED");
        }
        Objects.requireNonNull(exitCode, "exitCode");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(error, "error");
    }

    public static JournalOutcome finished(int exitCode, boolean timedOut, long durationMillis, byte[] stdout,
            byte[] stderr) {
        return new JournalOutcome(JournalState.FINISHED, OptionalInt.of(exitCode), timedOut, durationMillis, stdout,
                stderr, Optional.empty());
    }

    public static JournalOutcome failed(String error, long durationMillis, byte[] stdout, byte[] stderr) {
        return new JournalOutcome(JournalState.FAILED, OptionalInt.empty(), false, durationMillis, stdout, stderr,
                Optional.of(error));
    }
}
