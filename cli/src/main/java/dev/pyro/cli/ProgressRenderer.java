package dev.pyro.cli;

import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import java.io.PrintStream;

/**
 * Renders progress events on stderr. On a terminal one line per task is redrawn in place;
 * otherwise (logs, CI) a plain line is printed when the step changes, every 10 % or every 30 s.
 * Routine steps (booting a VM, moving files, stopping) are transient: on a terminal their
 * line is erased once the command's output starts, and they are not logged at all elsewhere,
 * so that a script reading pyro's stderr sees the command's stderr, not pyro's chatter. Long
 * work (builds, pulls, host setup, the first-use runtime check) is always shown.
 */
final class ProgressRenderer implements ProgressListener {
    private static final long PLAIN_INTERVAL_NANOS = 30_000_000_000L;
    private static final java.util.Set<String> LOGGED = java.util.Set.of("kernel", "agent", "runtime", "pull",
            "publish", "host-setup", "verify", "check", "build");

    private final PrintStream err;
    private final boolean tty;
    private final long started = System.nanoTime();
    private String task = "";
    private String step = "";
    private int lastDecile = -1;
    private long lastPrinted;
    private boolean lineOpen;

    ProgressRenderer(PrintStream err, boolean tty) {
        this.err = err;
        this.tty = tty;
    }

    @Override
    public synchronized void onProgress(ProgressEvent event) {
        if (!tty && isTransient(event.task())) {
            return;
        }
        boolean newTask = !event.task().equals(task);
        String line = render(event);
        if (tty) {
            if (newTask && lineOpen) {
                err.print('\n');
            }
            err.print("\r\033[K" + line);
            err.flush();
            lineOpen = true;
        } else {
            long now = System.nanoTime();
            int decile = event.fraction() < 0 ? -1 : (int) (event.fraction() * 10);
            boolean changed = newTask || !stepOf(event).equals(step) || decile > lastDecile;
            if (changed || now - lastPrinted > PLAIN_INTERVAL_NANOS) {
                err.println(line);
                lastPrinted = now;
            }
            lastDecile = newTask ? decile : Math.max(lastDecile, decile);
        }
        task = event.task();
        step = stepOf(event);
    }

    private static boolean isTransient(String task) {
        return !LOGGED.contains(task) && !task.startsWith("rootfs");
    }

    /** Ends the live line so that later output starts on a fresh line. */
    synchronized void finish() {
        if (tty && lineOpen) {
            err.print(isTransient(task) ? "\r\033[K" : "\n");
            err.flush();
            lineOpen = false;
        }
    }

    private String render(ProgressEvent event) {
        StringBuilder line = new StringBuilder("[").append(event.task()).append("] ").append(event.message());
        if (event.total() > 0 && event.done() >= 0) {
            line.append(String.format(" (%d/%d, %d%%)", event.done(), event.total(),
                    Math.round(event.fraction() * 100)));
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        line.append(String.format(" %d:%02d", seconds / 60, seconds % 60));
        return line.toString();
    }

    /** The message without digits, so that counters ticking up are not "a new step". */
    private static String stepOf(ProgressEvent event) {
        return event.task() + ":" + event.message().replaceAll("[0-9]+", "#");
    }
}
