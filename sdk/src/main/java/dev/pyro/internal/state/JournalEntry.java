package dev.pyro.internal.state;

import dev.pyro.internal.host.ProcessIdentity;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One command run in a machine (table {@code journal}).
 *
 * @param machineId the machine
 * @param sequence 1, 2, ... per machine, in the order commands were started (allocated atomically
 *     across processes)
 * @param command argv
 * @param cwd working directory in the guest
 * @param state running, finished or failed
 * @param exitCode the exit code once finished
 * @param timedOut it was killed by its timeout
 * @param durationMillis how long it ran, once ended
 * @param startedAt when it started
 * @param endedAt when it ended
 * @param stdoutTail the last few KiB of its stdout as text (bytes that are not UTF-8 replaced)
 * @param stderrTail the same for stderr
 * @param executor the pyro process that runs it and will record its end
 * @param error why it failed (state FAILED)
 */
public record JournalEntry(String machineId, long sequence, List<String> command, String cwd, JournalState state,
        OptionalInt exitCode, boolean timedOut, OptionalLong durationMillis, Instant startedAt,
        Optional<Instant> endedAt, String stdoutTail, String stderrTail, ProcessIdentity executor,
        Optional<String> error) {
    public JournalEntry {
        Objects.requireNonNull(machineId, "machineId");
        command = List.copyOf(command);
        Objects.requireNonNull(cwd, "cwd");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(exitCode, "exitCode");
        Objects.requireNonNull(durationMillis, "durationMillis");
        startedAt = startedAt.truncatedTo(ChronoUnit.MILLIS);
        endedAt = endedAt.map(e -> e.truncatedTo(ChronoUnit.MILLIS));
        Objects.requireNonNull(stdoutTail, "stdoutTail");
        Objects.requireNonNull(stderrTail, "stderrTail");
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(error, "error");
    }
}
