package dev.pyro.internal.engine.qemu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds the line of a console log (or of QEMU's own log) that explains why a VM did not come
 * up, and what to do about it. Reads only the last 256 KiB: the end is where failures are.
 */
public final class BootDiagnosis {
    private static final int TAIL = 256 * 1024;

    /**
     * A telling line and the advice that goes with it.
     *
     * @param line the console or QEMU line, trimmed; empty if there was nothing to show
     * @param hint what the user should do, one sentence; may be empty
     */
    public record Finding(String line, String hint) {
        /** "line; hint" for one-line error messages. */
        public String describe() {
            if (line.isEmpty()) {
                return hint;
            }
            return hint.isEmpty() ? "'" + line + "'" : "'" + line + "'; " + hint;
        }
    }

    private record Rule(Pattern pattern, String hint) {
    }

    private BootDiagnosis() {
    }

    private static List<Rule> consoleRules(Path rootImage, Path kernel) {
        String rebuildRoot = "the root image " + rootImage + " looks corrupt or is not an ext4 image; rebuild it with "
                + "`pyro runtime build-rootfs <environment>`";
        return List.of(
                new Rule(Pattern.compile("KVM internal error|emulation failure"),
                        "KVM does not work on this host; use software emulation (accel tcg)"),
                new Rule(Pattern.compile("VFS: Cannot open root device|VFS: Unable to mount root fs|"
                        + "Can't find ext4 filesystem|EXT4-fs \\(vda\\): (?:error|bad geometry|VFS)|"
                        + "EXT4-fs error \\(device vda\\)"), rebuildRoot),
                new Rule(Pattern.compile("Requested init \\S+ failed|Failed to execute \\S*pyro-agent|"
                        + "No working init found"),
                        "the root image " + rootImage + " has no working " + QemuCommandLine.AGENT_PATH
                                + "; rebuild it with `pyro runtime build-rootfs <environment>`"),
                new Rule(Pattern.compile("pyro-agent: .*(?:no channel|cannot|failed|error)", Pattern.CASE_INSENSITIVE),
                        "the guest agent could not start; see the console log"),
                new Rule(Pattern.compile("Kernel panic"),
                        "the guest kernel panicked; check that " + kernel + " is pyro's kernel "
                                + "(`pyro runtime build-kernel`)"));
    }

    /** Explains a console log; falls back to its last agent line, then to its last line. */
    public static Finding fromConsole(Path consoleLog, Path rootImage, Path kernel) {
        List<String> lines = tailLines(consoleLog);
        if (lines.isEmpty()) {
            return new Finding("", "the guest printed nothing on its console: is " + kernel
                    + " an x86-64 Linux kernel (bzImage or PVH vmlinux)?");
        }
        for (Rule rule : consoleRules(rootImage, kernel)) {
            for (String line : lines) {
                if (rule.pattern().matcher(line).find()) {
                    return new Finding(line, rule.hint());
                }
            }
        }
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith("pyro-agent:")) {
                return new Finding(lines.get(i), "");
            }
        }
        return new Finding(lines.get(lines.size() - 1), "");
    }

    /**
     * QEMU's own first error ("qemu-system-x86_64: ..."), if it printed one. Lines starting
     * with {@code #} are pyro's (the command line it ran) and are skipped.
     */
    public static Optional<String> qemuError(Path qemuLog) {
        List<String> lines = tailLines(qemuLog).stream()
                .filter(l -> !l.startsWith("#") && !l.contains("terminating on signal")).toList();
        for (String line : lines) {
            if (line.startsWith("qemu-system")) {
                return Optional.of(line);
            }
        }
        return lines.isEmpty() ? Optional.empty() : Optional.of(lines.get(lines.size() - 1));
    }

    static List<String> tailLines(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                return List.of();
            }
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                long start = Math.max(0, f.length() - TAIL);
                byte[] buf = new byte[(int) (f.length() - start)];
                f.seek(start);
                f.readFully(buf);
                return new String(buf, StandardCharsets.UTF_8).lines().map(BootDiagnosis::clean)
                        .filter(l -> !l.isEmpty()).toList();
            }
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Trims and drops control characters (the console may contain escape sequences and CRs). */
    private static String clean(String line) {
        StringBuilder s = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c >= 0x20 && c != 0x7f) {
                s.append(c);
            }
        }
        return s.toString().strip();
    }
}
