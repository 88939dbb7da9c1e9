package dev.pyro.mcp;

import dev.pyro.ProgressEvent;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * One tool call in flight: the thread running it (so that a cancellation can interrupt it)
 * and where its progress goes. Interrupting is guarded so that a late cancellation never hits
 * the thread after it moved on to other work.
 */
public final class ToolCall {
    private final String key;
    private final String tool;
    private final Consumer<ProgressUpdate> progress;
    private final long startedNanos = System.nanoTime();
    private Thread thread;
    private boolean cancelled;
    private boolean ended;
    private long progressCount;

    /** One progress notification: a strictly increasing counter and a human-readable message. */
    public record ProgressUpdate(long progress, String message) {
    }

    ToolCall(String key, String tool, Consumer<ProgressUpdate> progress) {
        this.key = key;
        this.tool = tool;
        this.progress = progress;
    }

    public String key() {
        return key;
    }

    public String tool() {
        return tool;
    }

    long elapsedMillis() {
        return (System.nanoTime() - startedNanos) / 1_000_000L;
    }

    /** Binds the call to the current thread; interrupts it at once if already cancelled. */
    synchronized void attach() {
        thread = Thread.currentThread();
        if (cancelled) {
            thread.interrupt();
        }
    }

    /** Unbinds the current thread and clears any interrupt meant for this call. */
    synchronized void detach() {
        thread = null;
        ended = true;
        Thread.interrupted();
    }

    /** Marks the call cancelled and interrupts its thread if it is running. */
    synchronized void cancel() {
        cancelled = true;
        if (thread != null) {
            thread.interrupt();
        }
    }

    public synchronized boolean cancelled() {
        return cancelled;
    }

    /** Forwards a progress event while the call runs; later events (stray SDK threads) are dropped. */
    synchronized void progress(ProgressEvent event) {
        if (ended || cancelled || progress == null) {
            return;
        }
        progressCount++;
        progress.accept(new ProgressUpdate(progressCount, render(event)));
    }

    static String render(ProgressEvent event) {
        StringBuilder s = new StringBuilder("[").append(event.task()).append("] ").append(event.message());
        if (event.total() > 0 && event.done() >= 0) {
            s.append(String.format(Locale.ROOT, " (%d/%d, %d%%)", event.done(), event.total(),
                    Math.round(event.fraction() * 100)));
        }
        return s.toString();
    }
}
