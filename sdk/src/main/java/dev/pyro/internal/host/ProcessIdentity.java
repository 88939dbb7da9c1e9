package dev.pyro.internal.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A process named so that it cannot be confused with a later one: its pid and its start time
 * (field 22 of {@code /proc/<pid>/stat}, clock ticks since the host booted). Pids are reused;
 * the pair is not (until the host reboots, after which no process of ours survives anyway).
 * Records that outlive a process (the VMM of a persistent VM, the CLI doing a transition)
 * keep this pair, and liveness is always checked against both.
 *
 * @param pid the process id
 * @param startTime its start time in clock ticks since boot, as the kernel reports it
 */
public record ProcessIdentity(long pid, long startTime) {
    /** This JVM. */
    public static ProcessIdentity current() {
        long pid = ProcessHandle.current().pid();
        return of(pid).orElseThrow(() -> new IllegalStateException("cannot read /proc/" + pid + "/stat"));
    }

    /** The process that now has this pid, if there is one (zombies included). */
    public static Optional<ProcessIdentity> of(long pid) {
        return readStat(pid).map(stat -> new ProcessIdentity(pid, stat.startTime()));
    }

    /**
     * True if this very process still runs: the pid exists, has the same start time (it was not
     * reused) and is not a zombie (a zombie has exited; only its parent has not reaped it yet).
     */
    public boolean isAlive() {
        return readStat(pid).filter(s -> s.startTime() == startTime && s.state() != 'Z' && s.state() != 'X')
                .isPresent();
    }

    /** The command line of this process while it is alive (arguments split at NUL bytes). */
    public Optional<List<String>> commandLine() {
        if (!isAlive()) {
            return Optional.empty();
        }
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            List<String> args = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            if (start < raw.length) {
                args.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
            }
            // The pid could have been reused between the two reads.
            return isAlive() ? Optional.of(args) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The file name of a command line's program. Plain string work: a process may show any
     * argv[0] ("/", "", or nothing readable while it exits), which {@code Path} would refuse.
     */
    public static String programName(String arg0) {
        return arg0.substring(arg0.lastIndexOf('/') + 1);
    }

    /** This process's pid namespace ({@code pid:[inode]}); pids mean nothing outside it. */
    public static Optional<String> pidNamespace() {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString());
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** The fields of /proc/PID/stat that matter here. */
    record Stat(char state, long startTime) {
    }

    static Optional<Stat> readStat(long pid) {
        if (pid <= 0) {
            return Optional.empty();
        }
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Optional.empty();
        }
        return parseStat(stat);
    }

    /**
     * Parses a stat line. The command name (field 2) is in parentheses and may itself contain
     * spaces and parentheses, so fields are counted from the last ')'.
     */
    static Optional<Stat> parseStat(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) {
            return Optional.empty();
        }
        String[] fields = stat.substring(close + 2).trim().split(" ");
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        if (fields.length < 20 || fields[0].isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Stat(fields[0].charAt(0), Long.parseLong(fields[19])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
