package dev.pyro.internal.host;

import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Drives Debian's apt-get and apt-cache. Installs wait up to five minutes for another
 * package manager to release the dpkg lock instead of failing at once, and apt's machine-
 * readable status lines ({@code APT::Status-Fd}) become progress events.
 */
final class Apt {
    /** Keeps apt from asking questions and from starting services while we install. */
    private static final Map<String, String> NONINTERACTIVE = Map.of("DEBIAN_FRONTEND", "noninteractive");

    private final Path aptGet;
    private final Path aptCache;
    private final Path log;

    Apt(Path aptGet, Path aptCache, Path log) {
        this.aptGet = aptGet;
        this.aptCache = aptCache;
        this.log = log;
    }

    /** True when apt's package lists have a candidate for the package. */
    boolean knows(String pkg) {
        Exec.Result result = Exec.capture(List.of(aptCache.toString(), "show", "--no-all-versions", pkg));
        return result.ok() && result.stdout().contains("Package: ");
    }

    /** Runs apt-get update; returns false when it failed (the log has why). */
    boolean update(ProgressListener progress) {
        return run(List.of(aptGet.toString(), "update", "-o", "APT::Status-Fd=1"), "updating package lists", progress);
    }

    /** Installs packages without recommends; returns false when it failed (the log has why). */
    boolean install(List<String> packages, ProgressListener progress) {
        List<String> argv = new ArrayList<>(List.of(aptGet.toString(), "install", "-y", "--no-install-recommends",
                "-o", "DPkg::Lock::Timeout=300", "-o", "APT::Status-Fd=1"));
        argv.addAll(packages);
        return run(argv, "installing " + String.join(" ", packages), progress);
    }

    Path log() {
        return log;
    }

    private boolean run(List<String> argv, String what, ProgressListener progress) {
        progress.onProgress(ProgressEvent.of("host-setup", what));
        try {
            Files.createDirectories(log.getParent());
            try (BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                out.write("$ " + String.join(" ", argv) + "\n");
                int code = Exec.stream(Exec.builder(argv, null, NONINTERACTIVE), line -> {
                    writeLine(out, line);
                    statusEvent(what, line, progress);
                });
                out.write("exit code " + code + "\n");
                return code == 0;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Turns {@code dlstatus:N:PERCENT:text} and {@code pmstatus:pkg:PERCENT:text} into events. */
    static ProgressEvent parseStatus(String what, String line) {
        String[] parts = line.split(":", 4);
        if (parts.length == 4 && (parts[0].equals("dlstatus") || parts[0].equals("pmstatus"))) {
            try {
                long permille = Math.round(Double.parseDouble(parts[2]) * 10);
                return new ProgressEvent("host-setup", what + ": " + parts[3], permille, 1000);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static void statusEvent(String what, String line, ProgressListener progress) {
        ProgressEvent event = parseStatus(what, line);
        if (event != null) {
            progress.onProgress(event);
        }
    }

    private static void writeLine(BufferedWriter out, String line) {
        try {
            out.write(line);
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
