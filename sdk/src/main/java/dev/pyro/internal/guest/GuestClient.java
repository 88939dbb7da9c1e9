package dev.pyro.internal.guest;

import dev.pyro.OutputListener;
import dev.pyro.PyroException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Host side of the guest protocol (docs/guest-protocol.md) over one pair of byte channels: a
 * unix socket to QEMU's agent chardev, or the stdin/stdout of {@code pyro-agent --stdio}.
 *
 * <p>Threads: one reader thread decodes frames and routes them by channel; one writer thread
 * owns the outgoing channel. Callers never touch the channels themselves, because an
 * interrupted caller blocked in a write on an interruptible NIO channel would close the
 * connection for every other caller of the same VM. A command's output is delivered to its
 * {@link OutputListener} on the thread that waits for it ({@link Execution#await()}), through a
 * queue bounded to {@value #OUTPUT_BUDGET} bytes per command: a slow listener slows the guest
 * down (the reader waits, virtio-serial fills up) instead of filling the heap.
 *
 * <p>Known limit (protocol v1): the agent stops reading the whole connection while more than
 * 8 MiB of one command's stdin wait for that command. Frames for other commands, SIGNAL
 * included, then wait behind that stdin until the command reads or ends; a
 * {@link Execution#cancel()} returns at once but its kill is only confirmed once the channel
 * moves again (await() gives up after a grace period). Fixing it needs credit-based stdin flow
 * control in the protocol.
 *
 * <p>File transfers ({@link #startImport}, {@link #export}, {@link #stat}) use their own
 * channels and run at the same time as commands. An import's frames are sent on the caller's
 * thread with a credit of {@value GuestImport#CREDIT} bytes not yet written (back-pressure:
 * a guest that reads slowly slows the caller down); an export's frames are handed to its
 * {@link ExportSink} on the caller's thread through a queue bounded like command output.
 *
 * <p>When the connection is lost (the VM died, the agent crashed, the client was closed) every
 * pending call fails at once with a {@link PyroException} of kind {@code VM_FAILED}, and later
 * calls fail immediately. The guest is not trusted, so the reader also ends the connection that
 * way when anything goes wrong on its side (any {@link Throwable}, an out-of-memory error
 * included: nothing may leave a client that claims to be connected while no thread reads), and
 * when the guest breaks the protocol in ways that only cost the host: an empty output or export
 * data frame (the agent never sends one), or more than {@value #MAX_IDLE_FRAMES} frames in a row
 * that do no work (unknown types, unasked answers, channels never opened, types that do not
 * belong to their channel). Every queued frame is charged its real cost ({@link #frameCost}).
 */
public final class GuestClient implements AutoCloseable {
    /** The protocol version this client speaks. */
    public static final int PROTOCOL_VERSION = 1;
    /** Output bytes buffered per command before the reader thread waits for the consumer. */
    public static final int OUTPUT_BUDGET = 8 * 1024 * 1024;
    /** Size of the STDIN frames this client sends. */
    static final int STDIN_CHUNK = 64 * 1024;
    /** Extra time past a command's own timeout before the host calls the guest unresponsive. */
    public static final Duration DEFAULT_EXEC_GRACE = Duration.ofSeconds(10);
    /** How long a cancelled command may take to report its end. */
    static final Duration CANCEL_GRACE = Duration.ofSeconds(3);

    private static final byte[] POISON = new byte[0];
    /** Linux's SIGKILL: what cancellation and abandoned commands get. */
    static final int SIGKILL = 9;
    /**
     * What a queued frame costs besides its variable-size fields: the decoded frame, its
     * arrays' headers and the queue's node (about 80 bytes measured; rounded up), so that
     * empty or one-byte frames cannot hold more memory than the budget says.
     */
    static final int FRAME_OVERHEAD = 128;
    /** Frames in a row that do no work after which the guest counts as hostile. */
    static final int MAX_IDLE_FRAMES = 1024;

    private final String name;
    private final FrameReader reader;
    private final WritableByteChannel out;
    private final AutoCloseable transport;
    private final Duration execGrace;
    private final BlockingQueue<Object> outbox = new LinkedBlockingQueue<>(256);
    /** Requests in progress by channel: commands and transfers. */
    private final Map<Integer, Route> routes = new ConcurrentHashMap<>();
    private final AtomicInteger nextChannel = new AtomicInteger(1);
    private final AtomicReference<CompletableFuture<HelloInfo>> pendingHello = new AtomicReference<>();
    private final Map<Long, CompletableFuture<Void>> pendingPings = new ConcurrentHashMap<>();
    private final AtomicLong pingSequence = new AtomicLong();
    private final AtomicReference<CompletableFuture<Void>> pendingShutdown = new AtomicReference<>();
    private final Thread readerThread;
    private final Thread writerThread;
    private final Object lostLock = new Object();
    private volatile Supplier<String> diagnostics = () -> "";
    /** Tests only: runs on the reader thread before each frame is routed (stands for a handler that fails). */
    volatile java.util.function.Consumer<Frame> readerHook = f -> { };
    private volatile String lostReason;
    private volatile boolean shutdownRequested;

    /**
     * Where the frames of one channel go (reader thread; false: the frame has no place there),
     * and who learns of a lost connection.
     */
    private record Route(Predicate<Frame> deliver, Runnable lost) {
    }

    /** A frame whose writing returns {@code frame.length} permits to {@code credit}. */
    private record Credited(byte[] frame, Semaphore credit) {
    }

    /**
     * Starts serving a connection. The client owns the channels from now on.
     *
     * @param name what to call the peer in messages, e.g. {@code "the guest agent of VM abc"}
     * @param in frames from the guest
     * @param out frames to the guest
     * @param transport closed (once) when the connection ends, e.g. the socket or the agent
     *     process; its close must not wait for a write in progress (a socket channel's does
     *     not; for a process, signal it rather than closing its stdin)
     * @param execGrace time past a command's timeout after which the guest counts as unresponsive
     */
    public GuestClient(String name, ReadableByteChannel in, WritableByteChannel out, AutoCloseable transport,
            Duration execGrace) {
        this.name = Objects.requireNonNull(name, "name");
        this.reader = new FrameReader(in);
        this.out = Objects.requireNonNull(out, "out");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.execGrace = Objects.requireNonNull(execGrace, "execGrace");
        this.readerThread = new Thread(this::readLoop, "pyro-guest-reader");
        this.writerThread = new Thread(this::writeLoop, "pyro-guest-writer");
        readerThread.setDaemon(true);
        writerThread.setDaemon(true);
        readerThread.start();
        writerThread.start();
    }

    public GuestClient(String name, ReadableByteChannel in, WritableByteChannel out, AutoCloseable transport) {
        this(name, in, out, transport, DEFAULT_EXEC_GRACE);
    }

    /**
     * A client over a pair of streams, e.g. the stdout and stdin of {@code pyro-agent --stdio}.
     * Every frame is flushed as soon as it is written (process streams are buffered).
     */
    public static GuestClient overStreams(String name, InputStream in, OutputStream out, AutoCloseable transport,
            Duration execGrace) {
        return new GuestClient(name, Channels.newChannel(in), new FlushingChannel(out), transport, execGrace);
    }

    /** Writes go straight to the stream and are flushed; not interruptible, unlike Channels.newChannel. */
    private static final class FlushingChannel implements WritableByteChannel {
        private final OutputStream out;
        private volatile boolean open = true;

        FlushingChannel(OutputStream out) {
            this.out = out;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            int n = src.remaining();
            if (src.hasArray()) {
                out.write(src.array(), src.arrayOffset() + src.position(), n);
                src.position(src.limit());
            } else {
                byte[] copy = new byte[n];
                src.get(copy);
                out.write(copy);
            }
            out.flush();
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() throws IOException {
            open = false;
            out.close();
        }
    }

    /**
     * Sets what to append to connection and timeout errors, e.g. the console log path and its
     * most telling line. Called when an error is built, from any thread; must not throw.
     */
    public void setDiagnostics(Supplier<String> diagnostics) {
        this.diagnostics = Objects.requireNonNull(diagnostics, "diagnostics");
    }

    /** False once the connection is gone (closed, lost, or the guest shut down). */
    public boolean isConnected() {
        return lostReason == null;
    }

    /**
     * Sends {@code HELLO} (with the host's clock) and waits for {@code HELLO_OK}. May be called
     * again at any time; the agent answers every HELLO.
     *
     * @throws PyroException {@code VM_FAILED} on timeout or connection loss,
     *     {@code RUNTIME_NOT_READY} if the agent speaks another protocol version
     */
    public HelloInfo hello(Duration timeout) {
        CompletableFuture<HelloInfo> answer = new CompletableFuture<>();
        pendingHello.set(answer);
        Instant now = Instant.now();
        long nanos = Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
        send(new Frame.Hello(0, PROTOCOL_VERSION, nanos));
        try {
            return await(answer, timeout, "HELLO");
        } finally {
            pendingHello.compareAndSet(answer, null);
        }
    }

    /** Sends {@code PING} and waits for the matching {@code PONG}; returns the round-trip time. */
    public Duration ping(Duration timeout) {
        long seq = pingSequence.incrementAndGet();
        CompletableFuture<Void> answer = new CompletableFuture<>();
        pendingPings.put(seq, answer);
        long start = System.nanoTime();
        try {
            send(new Frame.Ping(0, ByteBuffer.allocate(8).putLong(seq).array()));
            await(answer, timeout, "PING");
            return Duration.ofNanos(System.nanoTime() - start);
        } finally {
            pendingPings.remove(seq);
        }
    }

    /**
     * Starts a command and returns at once; output flows to {@code output} on the thread that
     * calls {@link Execution#await()}, which the caller must do.
     */
    public Execution start(ExecRequest request, OutputListener output) {
        checkConnected();
        int channel = allocateChannel();
        Execution execution = new Execution(this, channel, request, output, execGrace);
        routes.put(channel, new Route(execution::deliver, execution::connectionLost));
        try {
            send(request.toFrame(channel));
        } catch (RuntimeException e) {
            routes.remove(channel);
            throw e;
        }
        return execution;
    }

    /**
     * Starts an {@code IMPORT} into {@code dest} ({@code /workspace} or a normalized path under
     * it). The caller then streams entries and data through the returned handle and ends with
     * {@link GuestImport#finish(Duration)} (or {@link GuestImport#cancel()}); nothing changes in
     * the guest before {@code finish}.
     *
     * @param maxEntries the agent's cap on entries (0: none)
     * @param maxBytes the agent's cap on the sum of file sizes (0: none)
     */
    public GuestImport startImport(String dest, long maxEntries, long maxBytes) {
        checkConnected();
        int channel = allocateChannel();
        GuestImport transfer = new GuestImport(this, channel, dest);
        routes.put(channel, new Route(transfer::deliver, transfer::connectionLost));
        try {
            send(new Frame.Import(channel, dest.getBytes(StandardCharsets.UTF_8), 0, maxEntries, maxBytes));
        } catch (RuntimeException e) {
            routes.remove(channel);
            throw e;
        }
        return transfer;
    }

    /**
     * Exports {@code path} ({@code /workspace} or a path under it) and hands every entry and
     * data chunk to {@code sink} on this thread, in stream order. Memory stays bounded: the
     * reader waits while {@value GuestClient#OUTPUT_BUDGET} bytes are not yet consumed.
     *
     * <p>If the sink throws, the export is cancelled in the guest and the exception propagates
     * (an {@link java.io.IOException} wrapped in an {@link java.io.UncheckedIOException}).
     *
     * @param idle how long the guest may stay silent before it counts as unresponsive
     * @param total how long the whole export may take
     * @throws TransferFailedException the agent refused (kind {@code NOT_FOUND} for a missing
     *     path, {@code INVALID_ARGUMENT} for a bad path or a device root)
     * @throws TransferTimeoutException the export took longer than {@code total} (it is cancelled)
     * @throws PyroException {@code VM_FAILED} on connection loss, an unresponsive guest, or a
     *     stream that breaks the protocol
     */
    public ExportSummary export(String path, ExportSink sink, Duration idle, Duration total) {
        checkConnected();
        int channel = allocateChannel();
        GuestExport transfer = new GuestExport(this, channel, path, idle, total);
        routes.put(channel, new Route(transfer::deliver, transfer::connectionLost));
        try {
            send(new Frame.Export(channel, path.getBytes(StandardCharsets.UTF_8), 0));
        } catch (RuntimeException e) {
            routes.remove(channel);
            throw e;
        }
        return transfer.run(sink);
    }

    /**
     * Describes {@code path} ({@code /workspace} or a path under it; a symlink is described,
     * not followed).
     *
     * @return empty if the path does not exist (or a component of it is not a directory)
     * @throws TransferFailedException for a path the agent refuses (outside /workspace)
     */
    public Optional<GuestStat> stat(String path, Duration timeout) {
        checkConnected();
        int channel = allocateChannel();
        CompletableFuture<Frame> answer = new CompletableFuture<>();
        routes.put(channel, new Route(f -> (f instanceof Frame.StatOk || f instanceof Frame.Error) && answer.complete(f),
                () -> answer.completeExceptionally(lost())));
        try {
            send(new Frame.Stat(channel, path.getBytes(StandardCharsets.UTF_8)));
            Frame frame = await(answer, timeout, "STAT");
            if (frame instanceof Frame.StatOk ok) {
                return Optional.of(GuestStat.of(ok));
            }
            if (frame instanceof Frame.Error error) {
                if (error.code() == Frame.Error.NOT_FOUND) {
                    return Optional.empty();
                }
                throw TransferFailedException.of("stat " + path, error);
            }
            throw vmFailed(name + " answered STAT with " + frame.type());
        } finally {
            routes.remove(channel);
        }
    }

    /**
     * Runs a command to its end, streaming its output to {@code output}.
     *
     * @throws ExecFailedException the guest could not start it (not found, not executable)
     * @throws PyroException {@code VM_FAILED} if the connection is lost or the guest does not
     *     report the end within the command's timeout plus the grace; {@code CANCELLED} if the
     *     calling thread is interrupted (the command is killed)
     */
    public ExecResult exec(ExecRequest request, OutputListener output) throws ExecFailedException {
        return start(request, output).await();
    }

    /**
     * Runs a command that reads {@code input} as its stdin. A daemon thread copies the stream
     * in 64 KiB frames and sends end-of-input when it is exhausted.
     */
    public ExecResult exec(ExecRequest request, InputStream input, OutputListener output) throws ExecFailedException {
        Execution execution = start(request.withStdin(true), output);
        Thread pump = new Thread(() -> pumpStdin(input, execution), "pyro-guest-stdin-" + execution.channel());
        pump.setDaemon(true);
        pump.start();
        return execution.await();
    }

    private static void pumpStdin(InputStream input, Execution execution) {
        byte[] buffer = new byte[STDIN_CHUNK];
        try (OutputStream stdin = execution.stdin()) {
            int n;
            while ((n = input.read(buffer)) >= 0) {
                stdin.write(buffer, 0, n);
            }
        } catch (IOException | RuntimeException e) {
            // The command ended or the connection is gone: await() reports that, not the pump.
        }
    }

    /**
     * Asks the agent to power the VM off ({@code SHUTDOWN}) and waits for {@code SHUTDOWN_OK}.
     *
     * @return true if the agent acknowledged, or the connection closed after the request (the
     *     VM went away, which is what was asked); false if neither happened within the timeout
     */
    public boolean shutdown(Duration timeout) {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        pendingShutdown.set(answer);
        shutdownRequested = true;
        if (!isConnected()) {
            return false;
        }
        try {
            send(new Frame.Shutdown(0, 0));
            answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (PyroException | ExecutionException e) {
            return !isConnected();
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while shutting down " + name);
        }
    }

    /** Closes the connection; pending calls fail. Never throws. */
    @Override
    public void close() {
        connectionLost("the connection was closed by the host", null);
    }

    // ---- sending

    void send(Frame frame) {
        enqueue(FrameCodec.encode(frame));
    }

    /**
     * Queues an encoded frame after taking {@code frame.length} permits from {@code credit}; the
     * writer returns them once the frame is written. Blocks while the credit is used up.
     */
    void sendCredited(byte[] frame, Semaphore credit) {
        checkConnected();
        try {
            credit.acquire(frame.length);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while sending to " + name);
        }
        enqueue(new Credited(frame, credit));
    }

    private void enqueue(Object item) {
        checkConnected();
        try {
            outbox.put(item);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while sending to " + name);
        }
        // The writer may have died between the check and the put; the frame is then never sent
        // and every waiter learns it from connectionLost().
    }

    /**
     * Best effort and never blocking: queues a signal for a command unless the connection is
     * gone or the outgoing queue is full (the guest stopped reading, e.g. a command that does
     * not read its stdin made the agent pause the channel). Cancellation must return promptly
     * even then; its caller reports an unconfirmed kill after {@link #CANCEL_GRACE}.
     */
    void trySignal(int channel, int signal) {
        if (isConnected()) {
            outbox.offer(FrameCodec.encode(new Frame.Signal(channel, signal)));
        }
    }

    /** Like {@link #trySignal}: queues a frame unless the connection is gone or the queue is full. */
    void trySend(Frame frame) {
        if (isConnected()) {
            outbox.offer(FrameCodec.encode(frame));
        }
    }

    private void writeLoop() {
        try {
            while (true) {
                Object item = outbox.take();
                if (item == POISON) {
                    return;
                }
                Credited credited = item instanceof Credited c ? c : null;
                byte[] frame = credited != null ? credited.frame() : (byte[]) item;
                ByteBuffer b = ByteBuffer.wrap(frame);
                while (b.hasRemaining()) {
                    out.write(b);
                }
                if (credited != null) {
                    credited.credit().release(frame.length);
                }
            }
        } catch (InterruptedException | ClosedChannelException e) {
            connectionLost("the connection was closed", null);
        } catch (IOException e) {
            connectionLost("writing failed: " + e.getMessage(), e);
        }
    }

    // ---- receiving

    private void readLoop() {
        try {
            int idleFrames = 0;
            while (true) {
                Frame frame;
                try {
                    frame = reader.read();
                } catch (UnknownFrameTypeException e) {
                    // Framing is intact; a newer agent may send types we do not know, but not
                    // without end.
                    if (++idleFrames > MAX_IDLE_FRAMES) {
                        connectionLost(tooManyIdleFrames(), null);
                        return;
                    }
                    continue;
                } catch (ClosedChannelException e) {
                    connectionLost("the connection was closed", null);
                    return;
                } catch (IOException e) {
                    connectionLost(e instanceof ProtocolException ? "protocol error: " + e.getMessage()
                            : "reading failed: " + e.getMessage(), e);
                    return;
                }
                if (frame == null) {
                    connectionLost(shutdownRequested ? "the guest shut down" : "the connection was closed by the VM",
                            null);
                    return;
                }
                String violation = emptyData(frame);
                if (violation != null) {
                    connectionLost("protocol error: " + violation, null);
                    return;
                }
                readerHook.accept(frame);
                if (dispatch(frame)) {
                    idleFrames = 0;
                } else if (++idleFrames > MAX_IDLE_FRAMES) {
                    connectionLost(tooManyIdleFrames(), null);
                    return;
                }
            }
        } catch (Throwable t) {
            // Whatever it is (a bug, OutOfMemoryError), no thread reads this connection any more:
            // end it, so every waiter learns it now and the next attach reconnects.
            connectionLost("the host's reader failed: " + t, t);
        }
    }

    private static String tooManyIdleFrames() {
        return "protocol error: more than " + MAX_IDLE_FRAMES + " frames in a row that do no work (unknown types, "
                + "unasked answers, or channels that were never opened)";
    }

    /** The agent never sends output or export data frames without data: one that does is hostile. */
    private static String emptyData(Frame frame) {
        boolean empty = frame instanceof Frame.Stdout o ? o.data().length == 0
                : frame instanceof Frame.Stderr e ? e.data().length == 0
                : frame instanceof Frame.ExportData d && d.data().length == 0;
        return empty ? "an empty " + frame.type() + " frame on channel " + Integer.toUnsignedString(frame.channel())
                + " (the agent never sends one)" : null;
    }

    /**
     * What a queued frame costs against a budget: its data (or an export entry's names) plus
     * {@link #FRAME_OVERHEAD}, at most {@link #OUTPUT_BUDGET}.
     */
    static int frameCost(Frame frame) {
        long variable = frame instanceof Frame.Stdout o ? o.data().length
                : frame instanceof Frame.Stderr e ? e.data().length
                : frame instanceof Frame.ExportData d ? d.data().length
                : frame instanceof Frame.ExportEntry x ? (long) x.path().length + x.target().length
                : frame instanceof Frame.Error r ? r.message().length : 0;
        return (int) Math.min(OUTPUT_BUDGET, FRAME_OVERHEAD + variable);
    }

    /** Routes a frame; false when it did no work (nobody asked for it, or it has no place there). */
    private boolean dispatch(Frame frame) {
        if (frame.channel() == 0) {
            return dispatchControl(frame);
        }
        Route route = routes.get(frame.channel());
        if (route == null) {
            // Late output of an abandoned channel is normal; a channel never opened is not.
            return Integer.compareUnsigned(frame.channel(), nextChannel.get()) < 0;
        }
        boolean accepted = route.deliver().test(frame);
        if (accepted && endsRequest(frame)) {
            routes.remove(frame.channel(), route);
        }
        return accepted;
    }

    /** The frames that end a request and free its channel. */
    private static boolean endsRequest(Frame frame) {
        return switch (frame.type()) {
            case EXIT, ERROR, IMPORT_OK, EXPORT_END, STAT_OK -> true;
            default -> false;
        };
    }

    private boolean dispatchControl(Frame frame) {
        if (frame instanceof Frame.HelloOk ok) {
            CompletableFuture<HelloInfo> answer = pendingHello.get();
            if (answer == null) {
                return false; // a second answer to a repeated HELLO
            }
            if (ok.version() != PROTOCOL_VERSION) {
                answer.completeExceptionally(versionMismatch("it speaks version " + Integer.toUnsignedString(
                        ok.version())));
            } else {
                answer.complete(new HelloInfo(ok.version(), utf8(ok.agentVersion()), utf8(ok.kernelRelease()),
                        ok.features()));
            }
            return true;
        } else if (frame instanceof Frame.Pong pong) {
            if (pong.data().length == 8) {
                CompletableFuture<Void> answer = pendingPings.get(ByteBuffer.wrap(pong.data()).getLong());
                return answer != null && answer.complete(null);
            }
            return false;
        } else if (frame instanceof Frame.ShutdownOk) {
            CompletableFuture<Void> answer = pendingShutdown.get();
            return answer != null && answer.complete(null);
        } else if (frame instanceof Frame.Error error) {
            // Channel-0 errors answer HELLO (another version) or report a frame the agent could
            // not decode; only a pending HELLO can be matched to one.
            CompletableFuture<HelloInfo> answer = pendingHello.get();
            if (answer != null) {
                answer.completeExceptionally(error.code() == Frame.Error.UNSUPPORTED
                        ? versionMismatch(guestText(error.message()))
                        : vmFailed(name + " answered HELLO with error " + error.code() + ": "
                                + guestText(error.message())));
                return true;
            }
            // The agent reports frames it could not decode this way: never a flood.
            return false;
        }
        return false;
    }

    private PyroException versionMismatch(String detail) {
        return new PyroException(PyroException.Kind.RUNTIME_NOT_READY, name + " does not speak guest protocol version "
                + PROTOCOL_VERSION + " (" + detail + "); rebuild the environment's image with this pyro version: "
                + "pyro runtime build-rootfs <environment>");
    }

    // ---- connection loss

    private void connectionLost(String reason, Throwable cause) {
        synchronized (lostLock) {
            if (lostReason != null) {
                return;
            }
            lostReason = reason;
        }
        outbox.clear();
        outbox.offer(POISON);
        try {
            transport.close();
        } catch (Exception e) {
            // Closing is best effort; the connection is gone either way.
        }
        CompletableFuture<HelloInfo> hello = pendingHello.get();
        if (hello != null) {
            hello.completeExceptionally(lost());
        }
        pendingPings.values().forEach(p -> p.completeExceptionally(lost()));
        CompletableFuture<Void> shutdown = pendingShutdown.get();
        if (shutdown != null) {
            shutdown.complete(null);
        }
        for (Route route : List.copyOf(routes.values())) {
            route.lost().run();
        }
        routes.clear();
        if (Thread.currentThread() != writerThread) {
            writerThread.interrupt(); // unblocks a write the guest no longer drains
        }
    }

    private void checkConnected() {
        if (lostReason != null) {
            throw lost();
        }
    }

    /** The error every call gets once the connection is gone. */
    PyroException lost() {
        String reason = lostReason;
        return vmFailed("lost the connection to " + name + ": " + (reason == null ? "unknown reason" : reason));
    }

    PyroException vmFailed(String message) {
        String extra;
        try {
            extra = diagnostics.get();
        } catch (RuntimeException e) {
            extra = "";
        }
        return new PyroException(PyroException.Kind.VM_FAILED, extra == null || extra.isEmpty() ? message
                : message + "; " + extra);
    }

    String name() {
        return name;
    }

    <T> T await(CompletableFuture<T> answer, Duration timeout, String request) {
        try {
            return answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw vmFailed(name + " did not answer " + request + " within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PyroException pe) {
                // Re-thrown as a new exception so the stack trace shows this caller.
                throw new PyroException(pe.kind(), pe.getMessage(), pe);
            }
            throw new PyroException(PyroException.Kind.INTERNAL, request + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while waiting for " + name);
        }
    }

    private int allocateChannel() {
        while (true) {
            int channel = nextChannel.getAndIncrement();
            if (channel != 0 && !routes.containsKey(channel)) {
                return channel;
            }
        }
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Longest text from the guest that goes into a message. */
    static final int GUEST_TEXT_MAX = 1000;

    /**
     * Text the guest sent, for a message: one line, at most {@value #GUEST_TEXT_MAX} characters
     * (an agent's error message may be up to 1 MiB).
     */
    static String guestText(byte[] bytes) {
        String s = utf8(bytes.length > GUEST_TEXT_MAX * 4 ? java.util.Arrays.copyOf(bytes, GUEST_TEXT_MAX * 4) : bytes);
        StringBuilder b = new StringBuilder(Math.min(s.length(), GUEST_TEXT_MAX + 3));
        s.codePoints().limit(GUEST_TEXT_MAX).forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        if (s.codePointCount(0, s.length()) > GUEST_TEXT_MAX || bytes.length > GUEST_TEXT_MAX * 4) {
            b.append("...");
        }
        return b.toString();
    }
}
