package dev.pyro.internal.guest;

import dev.pyro.OutputListener;
import dev.pyro.PyroException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One hostile-agent scenario in a JVM of its own with a small heap (started by
 * {@link HostileAgentTest}): a client that queued what the agent sends would run out of memory
 * here, and with it its reader thread. Prints {@code RESULT <ms> <peak heap growth MiB> <what
 * happened>}; {@code FAILED ...} lines say what went wrong.
 */
public final class HostileAgentMain {
    static final int FRAMES = 10_000_000;
    /** A 13-byte STDOUT frame on channel 1 with no data. */
    static final byte[] EMPTY_STDOUT = FrameCodec.encode(new Frame.Stdout(1, new byte[0]));

    private HostileAgentMain() {
    }

    public static void main(String[] args) throws Exception {
        String scenario = args[0];
        Path dir = Files.createTempDirectory("hostile-agent");
        long base = baseline();
        long start = System.nanoTime();
        String outcome;
        try {
            outcome = switch (scenario) {
                case "empty-frames" -> emptyFrames(dir);
                case "tiny-frames" -> tinyFrames(dir);
                case "idle-flood" -> idleFlood(dir);
                case "trickle" -> trickle(dir);
                case "throwing-handler" -> throwingHandler(dir);
                default -> throw new IllegalArgumentException(scenario);
            };
        } catch (Throwable t) {
            outcome = "FAILED " + t;
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.println("RESULT " + ms + " " + ((peak() - base) >> 20) + " " + outcome.replace('\n', ' '));
        System.out.flush();
        System.exit(0);
    }

    /** STARTED, then ten million empty STDOUT frames, a batch at a time. */
    static String emptyFrames(Path dir) throws Exception {
        HostileAgent.Script script = (req, out) -> {
            if (!(req instanceof Frame.Exec exec) || !new String(exec.argv().get(0)).equals("flood")) {
                return; // any other request: never answered
            }
            out.send(new Frame.Started(exec.channel(), 42));
            byte[] frame = FrameCodec.encode(new Frame.Stdout(exec.channel(), new byte[0]));
            byte[] batch = new byte[frame.length * 10_000];
            for (int i = 0; i < 10_000; i++) {
                System.arraycopy(frame, 0, batch, i * frame.length, frame.length);
            }
            for (int i = 0; i < FRAMES / 10_000; i++) {
                out.write(batch);
            }
        };
        return failsEveryCallAtOnce(dir, script, "flood", "an empty STDOUT frame");
    }

    /** Ten million unasked PONGs: frames that do no work. */
    static String idleFlood(Path dir) throws Exception {
        HostileAgent.Script script = (req, out) -> {
            if (!(req instanceof Frame.Exec exec) || !new String(exec.argv().get(0)).equals("flood")) {
                return;
            }
            byte[] frame = FrameCodec.encode(new Frame.Pong(0, ByteBuffer.allocate(8).putLong(-7).array()));
            byte[] batch = new byte[frame.length * 10_000];
            for (int i = 0; i < 10_000; i++) {
                System.arraycopy(frame, 0, batch, i * frame.length, frame.length);
            }
            for (int i = 0; i < FRAMES / 10_000; i++) {
                out.write(batch);
            }
        };
        return failsEveryCallAtOnce(dir, script, "flood", "frames in a row that do no work");
    }

    /**
     * Starts a call the agent answers with a flood and two the agent never answers (a command
     * without a timeout and a STAT): all three must fail at once, with a message naming what the
     * agent did; then a new connection works.
     */
    static String failsEveryCallAtOnce(Path dir, HostileAgent.Script script, String argv0, String expected)
            throws Exception {
        try (HostileAgent agent = new HostileAgent(dir, script)) {
            GuestClient client = agent.connect(Duration.ofSeconds(10));
            Execution silent = client.start(ExecRequest.of("silent").withTimeout(Duration.ZERO), OutputListener.NONE);
            CompletableFuture<Object> stat = CompletableFuture.supplyAsync(() -> client.stat("/workspace/x",
                    Duration.ofHours(1)));
            Thread.sleep(100);
            long start = System.nanoTime();
            Throwable floodError = error(() -> client.exec(ExecRequest.of(argv0).withTimeout(Duration.ZERO),
                    OutputListener.NONE));
            Throwable silentError = error(silent::await);
            Throwable statError = error(() -> stat.get(10, TimeUnit.SECONDS));
            long ms = (System.nanoTime() - start) / 1_000_000;
            List<String> problems = new ArrayList<>();
            for (Throwable t : List.of(floodError, silentError, statError)) {
                Throwable e = t.getCause() instanceof PyroException p ? p : t;
                if (!(e instanceof PyroException p) || p.kind() != PyroException.Kind.VM_FAILED
                        || !p.getMessage().contains(expected)) {
                    problems.add(String.valueOf(e));
                }
            }
            if (client.isConnected()) {
                problems.add("the client still says it is connected");
            }
            GuestClient fresh = agent.connect(Duration.ofSeconds(10));
            fresh.ping(Duration.ofSeconds(5));
            fresh.close();
            return problems.isEmpty() ? "OK all calls failed in " + ms + " ms: " + floodError.getMessage()
                    : "FAILED " + problems;
        }
    }

    /**
     * Ten million one-byte STDOUT frames while the listener is stuck for 2 s: the frames queue
     * at their real cost, so the queue holds at most the output budget; every byte arrives.
     */
    static String tinyFrames(Path dir) throws Exception {
        HostileAgent.Script script = (req, out) -> {
            if (!(req instanceof Frame.Exec exec)) {
                return;
            }
            out.send(new Frame.Started(exec.channel(), 42));
            byte[] frame = FrameCodec.encode(new Frame.Stdout(exec.channel(), new byte[] {'x'}));
            byte[] batch = new byte[frame.length * 10_000];
            for (int i = 0; i < 10_000; i++) {
                System.arraycopy(frame, 0, batch, i * frame.length, frame.length);
            }
            for (int i = 0; i < FRAMES / 10_000; i++) {
                out.write(batch);
            }
            out.send(new Frame.Exit(exec.channel(), 0, 0, 0, 1));
        };
        try (HostileAgent agent = new HostileAgent(dir, script)) {
            GuestClient client = agent.connect(Duration.ofSeconds(10));
            AtomicLong bytes = new AtomicLong();
            ExecResult r = client.exec(ExecRequest.of("tiny").withTimeout(Duration.ZERO), new OutputListener() {
                @Override
                public void onStdout(byte[] data, int offset, int length) {
                    if (bytes.getAndAdd(length) == 0) {
                        try {
                            Thread.sleep(2000); // the reader fills the budget meanwhile
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }

                @Override
                public void onStderr(byte[] data, int offset, int length) {
                }
            });
            client.ping(Duration.ofSeconds(5));
            client.close();
            return bytes.get() == FRAMES && r.exitCode() == 0 ? "OK " + bytes.get() + " bytes in " + FRAMES
                    + " frames" : "FAILED " + bytes.get() + " bytes, exit " + r.exitCode();
        }
    }

    /**
     * An export whose data comes one byte every 50 ms, and a command whose output does, each
     * with time limits of 2 s: both end at their limit, with messages saying so; the
     * connection stays usable, and a new one works too.
     */
    static String trickle(Path dir) throws Exception {
        HostileAgent.Script script = (req, out) -> {
            if (req instanceof Frame.Export ex) {
                out.send(new Frame.ExportEntry(ex.channel(), Frame.KIND_FILE, new byte[0], 0644, 0, 1_000_000_000L,
                        new byte[0]));
                while (true) {
                    out.send(new Frame.ExportData(ex.channel(), new byte[] {'x'}));
                    Thread.sleep(50);
                }
            }
            if (req instanceof Frame.Exec exec) {
                out.send(new Frame.Started(exec.channel(), 42));
                while (true) {
                    out.send(new Frame.Stdout(exec.channel(), new byte[] {'x'}));
                    Thread.sleep(50);
                }
            }
        };
        try (HostileAgent agent = new HostileAgent(dir, script)) {
            GuestClient client = agent.connect(Duration.ofSeconds(1));
            long start = System.nanoTime();
            Throwable exportError = error(() -> client.export("/workspace/f", new ExportSink() {
                @Override
                public void entry(int kind, byte[] path, int mode, long mtimeNs, long size, byte[] target) {
                }

                @Override
                public void data(byte[] data, int offset, int length) {
                }
            }, Duration.ofSeconds(60), Duration.ofSeconds(2)));
            long exportMs = (System.nanoTime() - start) / 1_000_000;
            start = System.nanoTime();
            Throwable execError = error(() -> client.exec(ExecRequest.of("trickle").withTimeout(Duration.ofSeconds(1)),
                    OutputListener.NONE));
            long execMs = (System.nanoTime() - start) / 1_000_000;
            List<String> problems = new ArrayList<>();
            if (!(exportError instanceof TransferTimeoutException) || exportMs > 4000) {
                problems.add("export: " + exportError + " after " + exportMs + " ms");
            }
            if (!(execError instanceof PyroException p) || !p.getMessage().contains("unresponsive") || execMs > 4000) {
                problems.add("exec: " + execError + " after " + execMs + " ms");
            }
            client.ping(Duration.ofSeconds(5));
            GuestClient fresh = agent.connect(Duration.ofSeconds(10));
            fresh.ping(Duration.ofSeconds(5));
            fresh.close();
            client.close();
            return problems.isEmpty() ? "OK export ended in " + exportMs + " ms (" + exportError.getMessage()
                    + "), command in " + execMs + " ms" : "FAILED " + problems;
        }
    }

    /**
     * The reader's frame handling throws (as an OutOfMemoryError would): every pending call
     * fails at once, the client says it is not connected, and a new connection works.
     */
    static String throwingHandler(Path dir) throws Exception {
        HostileAgent.Script script = (req, out) -> {
            if (req instanceof Frame.Exec exec && new String(exec.argv().get(0)).equals("trigger")) {
                out.send(new Frame.Started(exec.channel(), 42));
            }
        };
        try (HostileAgent agent = new HostileAgent(dir, script)) {
            GuestClient client = agent.connect(Duration.ofSeconds(10));
            client.readerHook = f -> {
                if (f instanceof Frame.Started) {
                    throw new OutOfMemoryError("Java heap space (simulated)");
                }
            };
            Execution silent = client.start(ExecRequest.of("silent").withTimeout(Duration.ZERO), OutputListener.NONE);
            Thread.sleep(100);
            long start = System.nanoTime();
            Throwable triggerError = error(() -> client.exec(ExecRequest.of("trigger").withTimeout(Duration.ZERO),
                    OutputListener.NONE));
            Throwable silentError = error(silent::await);
            long ms = (System.nanoTime() - start) / 1_000_000;
            List<String> problems = new ArrayList<>();
            for (Throwable t : List.of(triggerError, silentError)) {
                if (!(t instanceof PyroException p) || p.kind() != PyroException.Kind.VM_FAILED
                        || !p.getMessage().contains("the host's reader failed: java.lang.OutOfMemoryError")) {
                    problems.add(String.valueOf(t));
                }
            }
            if (client.isConnected()) {
                problems.add("the client still says it is connected");
            }
            GuestClient fresh = agent.connect(Duration.ofSeconds(10));
            fresh.ping(Duration.ofSeconds(5));
            fresh.close();
            return problems.isEmpty() ? "OK both calls failed in " + ms + " ms: " + triggerError.getMessage()
                    : "FAILED " + problems;
        }
    }

    interface Call {
        Object run() throws Exception;
    }

    static Throwable error(Call call) {
        try {
            call.run();
            return new AssertionError("no error");
        } catch (Throwable t) {
            return t instanceof java.util.concurrent.ExecutionException && t.getCause() != null ? t.getCause() : t;
        }
    }

    /** Heap in use after a full collection, with the peaks reset. */
    static long baseline() {
        System.gc();
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                used += pool.getUsage().getUsed();
                pool.resetPeakUsage();
            }
        }
        return used;
    }

    static long peak() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }
}
