package dev.pyro.internal.guest;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * How a guest command ended (an {@code EXIT} frame).
 *
 * @param exitCode the exit status, 128 + the signal number if a signal ended it, 124 on timeout
 * @param timedOut true if the guest killed the command because its timeout passed
 * @param signal the signal that ended the command, or 0
 * @param guestDuration run time as the guest measured it (fork to reap)
 */
public record ExecResult(int exitCode, boolean timedOut, int signal, Duration guestDuration) {
    static ExecResult of(Frame.Exit exit) {
        // duration_us is u64; anything above Long.MAX_VALUE microseconds is not a real duration.
        long us = exit.durationUs() < 0 ? Long.MAX_VALUE : exit.durationUs();
        return new ExecResult(exit.exitCode(), exit.timedOut() != 0, exit.signal(), Duration.of(us, ChronoUnit.MICROS));
    }
}
