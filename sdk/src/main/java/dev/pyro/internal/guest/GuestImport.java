package dev.pyro.internal.guest;

import dev.pyro.PyroException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code IMPORT} in progress (docs/guest-protocol.md, "IMPORT"), created by
 * {@link GuestClient#startImport}. One thread streams it: {@link #entry} for every entry, then
 * {@link #data} with exactly a file's {@code size} bytes after a file entry, then
 * {@link #finish}. Nothing in the guest changes before {@code finish}: the agent stages the
 * stream and applies it atomically at {@code IMPORT_END}.
 *
 * <p>Back-pressure: at most {@value #CREDIT} bytes of this import's frames wait to be written;
 * beyond that {@link #entry} and {@link #data} block until the guest takes them.
 *
 * <p>If the agent rejects the stream (an entry breaks a rule, a limit is hit, the disk is
 * full) it answers {@code ERROR} at once; the next {@link #entry}, {@link #data} or
 * {@link #finish} throws that {@link TransferFailedException}, so the caller stops streaming
 * early. {@link #cancel()} (also {@link #close()} before {@code finish}) sends {@code CANCEL}
 * and waits briefly for the agent to confirm that it removed the staging.
 */
public final class GuestImport implements AutoCloseable {
    /** Bytes of frames of one import that may wait to be written. */
    public static final int CREDIT = 8 * 1024 * 1024;
    /** File data per IMPORT_DATA frame. */
    public static final int DATA_CHUNK = 256 * 1024;

    private final GuestClient client;
    private final int channel;
    private final String dest;
    private final Semaphore credit = new Semaphore(CREDIT);
    private final CompletableFuture<ImportSummary> outcome = new CompletableFuture<>();
    private long fileLeft;
    private boolean ended;

    GuestImport(GuestClient client, int channel, String dest) {
        this.client = client;
        this.channel = channel;
        this.dest = dest;
    }

    /** The protocol channel of this import. */
    public int channel() {
        return channel;
    }

    /**
     * Sends one entry (fields as on the wire; see the "Entries" table of the spec).
     *
     * @throws TransferFailedException the agent has already rejected the import
     * @throws IllegalStateException the previous file's data is incomplete, or the import ended
     */
    public void entry(int kind, byte[] path, int mode, long mtimeNs, long size, byte[] target) {
        checkStreaming();
        if (fileLeft > 0) {
            throw new IllegalStateException("entry before the previous file's last " + fileLeft + " bytes");
        }
        client.sendCredited(FrameCodec.encode(new Frame.ImportEntry(channel, kind, path, mode, mtimeNs, size, target)),
                credit);
        fileLeft = kind == Frame.KIND_FILE ? size : 0;
    }

    /** Sends the next {@code length} bytes of the current file, in frames of {@value #DATA_CHUNK} bytes. */
    public void data(byte[] buf, int offset, int length) {
        checkStreaming();
        if (length > fileLeft) {
            throw new IllegalStateException(length + " bytes of data, but the current file expects " + fileLeft);
        }
        while (length > 0) {
            int n = Math.min(length, DATA_CHUNK);
            client.sendCredited(FrameCodec.encodeImportData(channel, buf, offset, n), credit);
            offset += n;
            length -= n;
            fileLeft -= n;
        }
    }

    /**
     * Sends {@code IMPORT_END} and waits until the agent applied the import ({@code IMPORT_OK})
     * or rolled it back ({@code ERROR}).
     *
     * @param timeout how long the apply may take (it flushes the data to disk)
     * @throws TransferFailedException the agent rejected or could not apply the import; the
     *     workspace is as it was
     * @throws PyroException {@code VM_FAILED} on connection loss or timeout (the guest then
     *     completes or rolls back on its own; which one is unknown), {@code CANCELLED} on interrupt
     */
    public ImportSummary finish(Duration timeout) {
        checkStreaming();
        if (fileLeft > 0) {
            throw new IllegalStateException("finish before the last file's " + fileLeft + " bytes");
        }
        ended = true;
        client.sendCredited(FrameCodec.encode(new Frame.ImportEnd(channel)), credit);
        try {
            return outcome.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (TimeoutException e) {
            throw client.vmFailed(client.name() + " did not finish the import into " + dest + " within "
                    + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while the guest applied the import into "
                    + dest + "; it completes or rolls back on its own");
        }
    }

    /**
     * Stops the import: sends {@code CANCEL} (never blocking) and waits up to a few seconds for
     * the agent's confirmation. Does nothing once the import ended. Never throws.
     */
    public void cancel() {
        if (outcome.isDone() || ended) {
            return;
        }
        ended = true;
        client.trySend(new Frame.Cancel(channel));
        try {
            outcome.get(GuestClient.CANCEL_GRACE.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // ERROR(CANCELLED) is the expected answer; no answer in time leaves the staging to
            // the agent, which removes it when the CANCEL arrives or the connection ends.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Cancels the import unless it finished. */
    @Override
    public void close() {
        cancel();
    }

    private void checkStreaming() {
        if (outcome.isDone()) {
            try {
                outcome.getNow(null);
            } catch (java.util.concurrent.CompletionException e) {
                throw rethrow(e.getCause());
            }
        }
        if (ended) {
            throw new IllegalStateException("the import into " + dest + " has ended");
        }
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof TransferFailedException t) {
            return t;
        }
        if (cause instanceof PyroException p) {
            return new PyroException(p.kind(), p.getMessage(), p);
        }
        return new PyroException(PyroException.Kind.INTERNAL, "import failed: " + cause, cause);
    }

    // ---- called by the reader thread

    /** The answer of this import's channel; false for a type that has no place here. */
    boolean deliver(Frame frame) {
        if (frame instanceof Frame.ImportOk ok) {
            outcome.complete(new ImportSummary(ok.entries(), ok.bytes()));
            return true;
        } else if (frame instanceof Frame.Error error) {
            outcome.completeExceptionally(TransferFailedException.of("import into " + dest, error));
            credit.release(CREDIT); // wakes a sender waiting for credit: it will see the error
            return true;
        }
        return false;
    }

    void connectionLost() {
        outcome.completeExceptionally(client.lost());
        credit.release(CREDIT);
    }
}
