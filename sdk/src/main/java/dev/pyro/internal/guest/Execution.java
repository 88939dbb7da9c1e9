package dev.pyro.internal.guest;

import dev.pyro.OutputListener;
import dev.pyro.PyroException;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One command running in the guest (one protocol channel), created by
 * {@link GuestClient#start(ExecRequest, OutputListener)}. Exactly one thread calls
 * {@link #await()}, which delivers the output to the listener and returns the result; any
 * thread may {@link #cancel()} it or send it a {@link #signal(int)}.
 */
public final class Execution {
    /** Marker events besides frames. */
    private static final Object WAKE = new Object();
    private static final Object LOST = new Object();

    private final GuestClient client;
    private final int channel;
    private final ExecRequest request;
    private final OutputListener output;
    private final long hostDeadline;
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final Semaphore budget = new Semaphore(GuestClient.OUTPUT_BUDGET);
    private final Object awaitLock = new Object();
    private volatile boolean abandoned;
    private volatile boolean ended;
    private volatile int pid = -1;
    private volatile long cancelledAt;
    private volatile boolean cancelled;
    private StdinStream stdin;
    private ExecResult result;

    Execution(GuestClient client, int channel, ExecRequest request, OutputListener output, Duration grace) {
        this.client = client;
        this.channel = channel;
        this.request = request;
        this.output = output;
        long now = System.nanoTime();
        this.hostDeadline = request.timeout().isZero() ? Long.MAX_VALUE
                : now + request.timeout().toNanos() + grace.toNanos();
    }

    /** The protocol channel of this command. */
    public int channel() {
        return channel;
    }

    /** The command's pid in the guest, once the agent reported STARTED. */
    public OptionalInt pid() {
        int p = pid;
        return p < 0 ? OptionalInt.empty() : OptionalInt.of(p);
    }

    /** Output bytes received but not yet handed to the listener (at most {@link GuestClient#OUTPUT_BUDGET}). */
    public int bufferedBytes() {
        return abandoned ? 0 : Math.max(0, GuestClient.OUTPUT_BUDGET - budget.availablePermits());
    }

    /** True once the guest reported the command's end (EXIT or ERROR). */
    public boolean ended() {
        return ended;
    }

    /**
     * The command's stdin (only if the request said it reads stdin). Writes become STDIN frames
     * of at most 64 KiB; {@code close()} sends end-of-input. Thread-safe.
     */
    public synchronized OutputStream stdin() {
        if (!request.stdin()) {
            throw new IllegalStateException("the command was started without stdin (ExecRequest.withStdin)");
        }
        if (stdin == null) {
            stdin = new StdinStream();
        }
        return stdin;
    }

    /** Sends a signal to the command's process tree; ignored once the command ended. */
    public void signal(int signal) {
        if (!ended) {
            client.send(new Frame.Signal(channel, signal));
        }
    }

    /**
     * Kills the command (SIGKILL to its process tree) from any thread. {@link #await()} then
     * returns the guest's report (exit code 137) promptly, or throws {@code CANCELLED} if the
     * guest does not confirm within a few seconds.
     */
    public void cancel() {
        if (ended || cancelled) {
            return;
        }
        cancelled = true;
        cancelledAt = System.nanoTime();
        client.trySignal(channel, GuestClient.SIGKILL);
        events.add(WAKE);
    }

    /**
     * Waits for the end of the command, calling the listener for each output chunk on this
     * thread. May be called again after it returned; it then returns the same result.
     *
     * @throws ExecFailedException the command could not start (not found, not executable, bad cwd)
     * @throws PyroException {@code VM_FAILED} on connection loss or if the guest stays silent past
     *     the command's timeout plus the grace; {@code CANCELLED} on interrupt (the command is
     *     killed) or if a cancelled command is not confirmed dead in time
     */
    public ExecResult await() throws ExecFailedException {
        synchronized (awaitLock) {
            if (result != null) {
                return result;
            }
            try {
                result = loop();
                return result;
            } catch (InterruptedException e) {
                abandon(true);
                Thread.currentThread().interrupt();
                throw new PyroException(PyroException.Kind.CANCELLED, "interrupted; killed '" + request.program()
                        + "' in the guest");
            } catch (RuntimeException | Error e) {
                // The listener failed, the guest is unresponsive, or the connection is gone.
                abandon(true);
                throw e;
            } catch (ExecFailedException e) {
                abandon(false);
                throw e;
            }
        }
    }

    private ExecResult loop() throws InterruptedException, ExecFailedException {
        while (true) {
            long deadline = hostDeadline;
            long cancelAt = cancelledAt;
            if (cancelled) {
                deadline = Math.min(deadline, cancelAt + GuestClient.CANCEL_GRACE.toNanos());
            }
            Object event;
            if (deadline == Long.MAX_VALUE) {
                event = events.take();
            } else {
                event = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            }
            if (event == null) {
                if (System.nanoTime() - deadline < 0) {
                    continue;
                }
                if (cancelled) {
                    throw new PyroException(PyroException.Kind.CANCELLED, "cancelled '" + request.program()
                            + "', but the guest did not confirm its end within " + GuestClient.CANCEL_GRACE.toSeconds()
                            + " s");
                }
                throw client.vmFailed(client.name() + " did not report the end of '" + request.program() + "' within "
                        + request.timeout().toMillis() + " ms (its timeout) plus the grace: the guest looks unresponsive");
            }
            if (event == WAKE) {
                continue;
            }
            if (event == LOST) {
                throw client.lost();
            }
            Frame frame = (Frame) event;
            if (frame.type() != FrameType.STDOUT && frame.type() != FrameType.STDERR) {
                budget.release(GuestClient.frameCost(frame));
            }
            switch (frame.type()) {
                case STDOUT -> {
                    byte[] data = ((Frame.Stdout) frame).data();
                    try {
                        output.onStdout(data, 0, data.length);
                    } finally {
                        budget.release(GuestClient.frameCost(frame));
                    }
                }
                case STDERR -> {
                    byte[] data = ((Frame.Stderr) frame).data();
                    try {
                        output.onStderr(data, 0, data.length);
                    } finally {
                        budget.release(GuestClient.frameCost(frame));
                    }
                }
                case EXIT -> {
                    return ExecResult.of((Frame.Exit) frame);
                }
                case ERROR -> {
                    Frame.Error error = (Frame.Error) frame;
                    if (error.code() == Frame.Error.EXEC_FAILED) {
                        throw new ExecFailedException(request.program(), error.errno(),
                                GuestClient.guestText(error.message()));
                    }
                    throw errorOf(error);
                }
                default -> { } // STARTED is recorded on arrival
            }
        }
    }

    private PyroException errorOf(Frame.Error error) {
        String message = GuestClient.guestText(error.message());
        if (error.code() == Frame.Error.BUSY) {
            return new PyroException(PyroException.Kind.VM_FAILED, "the guest agent refused '" + request.program()
                    + "': " + message + "; wait for running commands to finish (the agent runs at most 64)");
        }
        return client.vmFailed("the guest agent failed to run '" + request.program() + "' (error " + error.code()
                + ", errno " + error.errno() + "): " + message);
    }

    /** Gives up on the command: later frames of its channel are dropped. */
    private void abandon(boolean kill) {
        if (kill && !ended) {
            client.trySignal(channel, GuestClient.SIGKILL);
        }
        abandoned = true;
        events.clear();
        budget.release(GuestClient.OUTPUT_BUDGET); // unblocks a reader waiting for room
    }

    // ---- called by the reader thread

    /** Queues a frame of this command's channel; false for a type that has no place here. */
    boolean deliver(Frame frame) {
        if (!(frame instanceof Frame.Started || frame instanceof Frame.Stdout || frame instanceof Frame.Stderr
                || frame instanceof Frame.Exit || frame instanceof Frame.Error)) {
            return false;
        }
        if (frame instanceof Frame.Started started) {
            pid = started.pid();
        }
        if (frame instanceof Frame.Exit || frame instanceof Frame.Error) {
            ended = true;
        }
        if (abandoned) {
            return true;
        }
        // Waits while the consumer is more than OUTPUT_BUDGET bytes behind, every frame charged
        // its real cost (its data plus the fixed cost of a queued frame): however the guest
        // slices its output, the queue holds at most the budget.
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

    /** STDIN frames from an OutputStream. */
    private final class StdinStream extends OutputStream {
        private boolean closed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stdin of '" + request.program() + "' is closed");
            }
            if (ended) {
                throw new IOException("'" + request.program() + "' has ended");
            }
            while (len > 0) {
                int n = Math.min(len, GuestClient.STDIN_CHUNK);
                sendOrThrow(new Frame.Stdin(channel, Arrays.copyOfRange(b, off, off + n)));
                off += n;
                len -= n;
            }
        }

        @Override
        public synchronized void close() throws IOException {
            if (!closed) {
                closed = true;
                if (!ended) {
                    sendOrThrow(new Frame.Stdin(channel, new byte[0]));
                }
            }
        }

        private void sendOrThrow(Frame frame) throws IOException {
            try {
                client.send(frame);
            } catch (PyroException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
    }
}
