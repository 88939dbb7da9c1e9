package dev.pyro.internal.archive;

import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;

/**
 * Progress of one transfer as {@link ProgressEvent}s: task {@code seed}, {@code sync} or
 * {@code export}, bytes done and (when known) in all. Throttled: an event when a whole
 * percent more is done or a quarter second passed, and one at the end.
 */
final class TransferProgress {
    private static final long INTERVAL_NS = 250_000_000L;

    private final ProgressListener listener;
    private final String task;
    private final String what;
    private final long total;
    private long lastDone = -1;
    private long lastAt;

    TransferProgress(ProgressListener listener, String task, String what, long total) {
        this.listener = listener;
        this.task = task;
        this.what = what;
        this.total = total;
    }

    void start() {
        listener.onProgress(new ProgressEvent(task, what, 0, total));
        lastDone = 0;
        lastAt = System.nanoTime();
    }

    void update(long done) {
        long now = System.nanoTime();
        boolean percent = total > 0 && (done - lastDone) * 100 >= total;
        if (percent || now - lastAt >= INTERVAL_NS) {
            lastDone = done;
            lastAt = now;
            listener.onProgress(new ProgressEvent(task, what, done, total));
        }
    }

    void done(String message, long done) {
        listener.onProgress(new ProgressEvent(task, message, done, total < 0 ? done : total));
    }
}
