package dev.pyro.internal.runtime;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The full log of one build, written as it happens, with the last lines kept in memory so
 * that an error can quote the line that explains it. Errors point to the file.
 */
final class BuildLog implements AutoCloseable {
    private static final int TAIL_LINES = 40;

    private final Path file;
    private final BufferedWriter out;
    private final Deque<String> tail = new ArrayDeque<>();
    /** The first line that reads like a diagnosis (gcc's "error:", apt's "E:"), usually the cause. */
    private String firstError;

    BuildLog(Path file) {
        this.file = file;
        try {
            Files.createDirectories(file.getParent());
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the build log " + file, e);
        }
    }

    Path file() {
        return file;
    }

    /** Records the command about to run. */
    synchronized void command(List<String> argv) {
        line("$ " + String.join(" ", argv));
    }

    synchronized void line(String line) {
        try {
            out.write(line);
            out.write('\n');
            // Flushed per line: someone following the log with tail -f sees the build as it runs.
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the build log " + file, e);
        }
        if (firstError == null && (line.contains("error:") || line.startsWith("E: ") || line.contains("fatal:"))) {
            firstError = line.strip();
        }
        tail.addLast(line);
        if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
        }
    }

    /**
     * The line that best explains a failure: the first diagnosis ("error:", "E: ", "fatal:"),
     * else the last line that mentions an error or failure, else the last line.
     */
    synchronized String lastError() {
        if (firstError != null) {
            return shorten(firstError);
        }
        String last = "";
        for (String line : tail) {
            String lower = line.toLowerCase(java.util.Locale.ROOT);
            if (lower.contains("error") || line.startsWith("E:") || lower.contains("failed")
                    || lower.contains("no such file")) {
                last = line.strip();
            }
        }
        if (last.isEmpty() && !tail.isEmpty()) {
            last = tail.getLast().strip();
        }
        return shorten(last);
    }

    private static String shorten(String line) {
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    /** Flushes and moves the log to {@code target} (into an installed component's directory). */
    synchronized void moveTo(Path target) {
        close();
        try {
            Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the build log to " + target, e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
