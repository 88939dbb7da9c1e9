package dev.pyro;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One command in a workspace's journal.
 *
 * @param sequence 1, 2, ... in the order the commands started
 * @param command the argument vector
 * @param cwd its working directory in the guest
 * @param exitCode its exit code, once it ended
 * @param timedOut whether its timeout killed it
 * @param durationMs how long it ran
 * @param startedAt when it started
 * @param endedAt when it ended (empty while it runs, or if pyro died meanwhile)
 * @param stdoutTail the last few KiB of stdout (UTF-8, invalid bytes replaced)
 * @param stderrTail the last few KiB of stderr
 */
public record JournalEntry(long sequence, List<String> command, String cwd, Optional<Integer> exitCode, boolean timedOut,
        long durationMs, Instant startedAt, Optional<Instant> endedAt, String stdoutTail, String stderrTail) {
}
