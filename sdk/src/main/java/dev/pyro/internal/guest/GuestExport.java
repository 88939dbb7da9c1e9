package dev.pyro.internal.guest;

import dev.pyro.PyroException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One {@code EXPORT} in progress: the reader thread queues its frames (bounded by
 * {@link GuestClient#OUTPUT_BUDGET} bytes at their real cost, {@link GuestClient#frameCost}:
 * beyond that the reader waits, which slows the guest down instead of filling the heap); the
 * exporting thread checks their sequence and hands them to the {@link ExportSink}. The guest
 * may stay silent for at most the idle time, and the whole export must end within its total
 * time (a guest that trickles a byte now and then is cut off too).
 */
final class GuestExport {
    private static final Object LOST = new Object();

    private final GuestClient client;
    private final int channel;
    private final String path;
    private final Duration idle;
    private final Duration total;
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final Semaphore budget = new Semaphore(GuestClient.OUTPUT_BUDGET);
    private volatile boolean abandoned;
    private volatile boolean ended;

    GuestExport(GuestClient client, int channel, String path, Duration idle, Duration total) {
        this.client = client;
        this.channel = channel;
        this.path = path;
        this.idle = idle;
        this.total = total;
    }

    ExportSummary run(ExportSink sink) {
        try {
            return loop(sink);
        } catch (InterruptedException e) {
            abandon();
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted; cancelled the export of " + path);
        } catch (IOException e) {
            abandon();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            abandon();
            throw e;
        }
    }

    private ExportSummary loop(ExportSink sink) throws InterruptedException, IOException {
        long entries = 0;
        long bytes = 0;
        long fileLeft = 0;
        int rootKind = 0;
        long start = System.nanoTime();
        long totalNanos = total.toNanos();
        while (true) {
            long left = totalNanos - (System.nanoTime() - start);
            if (left <= 0) {
                throw new TransferTimeoutException("the export of " + path + " took longer than " + total.toSeconds()
                        + " s", total);
            }
            Object event = events.poll(Math.min(idle.toNanos(), left), TimeUnit.NANOSECONDS);
            if (event == null) {
                if (idle.toNanos() <= left) {
                    throw client.vmFailed(client.name() + " sent nothing for the export of " + path + " in "
                            + idle.toSeconds() + " s: the guest looks unresponsive");
                }
                continue; // the total time is up: reported above
            }
            if (event == LOST) {
                throw client.lost();
            }
            Frame frame = (Frame) event;
            budget.release(GuestClient.frameCost(frame));
            if (frame instanceof Frame.ExportEntry e) {
                if (fileLeft > 0) {
                    throw violation("an entry arrived before the last " + fileLeft + " bytes of the previous file");
                }
                if (rootKind == 0) {
                    if (e.path().length != 0) {
                        throw violation("the first entry is not the root (its path is not empty)");
                    }
                    rootKind = e.kind();
                } else if (rootKind != Frame.KIND_DIRECTORY) {
                    throw violation("entries after a root that is not a directory");
                } else if (e.path().length == 0) {
                    throw violation("a second entry with an empty path");
                }
                if (e.kind() != Frame.KIND_FILE && e.size() != 0) {
                    throw violation("a non-file entry with a size");
                }
                if (e.size() < 0) {
                    throw violation("a file size above 2^63");
                }
                entries++;
                sink.entry(e.kind(), e.path(), e.mode(), e.mtimeNs(), e.size(), e.target());
                fileLeft = e.kind() == Frame.KIND_FILE ? e.size() : 0;
            } else if (frame instanceof Frame.ExportData d) {
                int n = d.data().length;
                if (n == 0 || n > fileLeft) {
                    throw violation(n == 0 ? "empty EXPORT_DATA" : "more data than the file's size");
                }
                sink.data(d.data(), 0, n);
                fileLeft -= n;
                bytes += n;
            } else if (frame instanceof Frame.ExportEnd end) {
                if (fileLeft > 0 || rootKind == 0) {
                    throw violation(rootKind == 0 ? "EXPORT_END without a root entry"
                            : "EXPORT_END before the last " + fileLeft + " bytes of a file");
                }
                if (end.entries() != entries || end.bytes() != bytes) {
                    throw violation("EXPORT_END counts " + end.entries() + " entries and " + end.bytes()
                            + " bytes, " + entries + " and " + bytes + " arrived");
                }
                return new ExportSummary(end.entries(), end.bytes(), end.skipped());
            } else if (frame instanceof Frame.Error error) {
                throw TransferFailedException.of("export of " + path, error);
            }
        }
    }

    private PyroException violation(String what) {
        return client.vmFailed(client.name() + " broke the export protocol for " + path + ": " + what);
    }

    /** Stops listening: a CANCEL (unless the export ended), later frames dropped, the reader freed. */
    private void abandon() {
        if (!ended) {
            client.trySend(new Frame.Cancel(channel));
        }
        abandoned = true;
        events.clear();
        budget.release(GuestClient.OUTPUT_BUDGET);
    }

    // ---- called by the reader thread

    /** Queues a frame of this export's channel; false for a type that has no place here. */
    boolean deliver(Frame frame) {
        if (!(frame instanceof Frame.ExportEntry || frame instanceof Frame.ExportData
                || frame instanceof Frame.ExportEnd || frame instanceof Frame.Error)) {
            return false;
        }
        if (frame instanceof Frame.ExportEnd || frame instanceof Frame.Error) {
            ended = true;
        }
        if (abandoned) {
            return true;
        }
        budget.acquireUninterruptibly(GuestClient.frameCost(frame));
        if (abandoned) {
            return true;
        }
        events.add(frame);
        return true;
    }

    void connectionLost() {
        events.add(LOST);
        budget.release(GuestClient.OUTPUT_BUDGET);
    }
}
