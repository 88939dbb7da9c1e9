package dev.pyro.internal.runtime;

import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;

/**
 * Emits progress events for one task, throttled so that a stream of thousands of build lines
 * becomes a few events per second: an event goes out when the message changes, or when the
 * count moved and 250 ms passed since the last event. Safe to call from several threads.
 */
final class Progress {
    private static final long MIN_INTERVAL_NANOS = 250_000_000L;

    private final ProgressListener listener;
    private final String task;
    private String lastMessage;
    private long lastPermille = -2;
    private long lastNanos;

    Progress(ProgressListener listener, String task) {
        this.listener = listener;
        this.task = task;
    }

    String task() {
        return task;
    }

    ProgressListener listener() {
        return listener;
    }

    /** A step whose amount of work is unknown; always emitted. */
    synchronized void step(String message) {
        emit(new ProgressEvent(task, message, -1, -1));
    }

    /** Work done so far ({@code total} -1 when unknown); throttled. */
    synchronized void update(String message, long done, long total) {
        long permille = total > 0 ? Math.min(1000, done * 1000 / total) : -1;
        boolean newMessage = !message.equals(lastMessage);
        boolean moved = permille != lastPermille || total <= 0;
        boolean due = System.nanoTime() - lastNanos >= MIN_INTERVAL_NANOS;
        if (newMessage || (moved && due)) {
            emit(new ProgressEvent(task, message, done, total));
        }
    }

    private void emit(ProgressEvent event) {
        lastMessage = event.message();
        lastPermille = event.total() > 0 ? Math.min(1000, event.done() * 1000 / event.total()) : -1;
        lastNanos = System.nanoTime();
        listener.onProgress(event);
    }
}
