package dev.pyro.internal.engine.qemu;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A small client of QEMU's machine protocol (QMP): one JSON object per line over a unix
 * socket. It reads the greeting, enters command mode ({@code qmp_capabilities}), runs commands
 * with an {@code id} so answers are matched, and keeps the asynchronous events (such as
 * {@code SHUTDOWN}) for {@link #awaitEvent}. One daemon thread reads; commands may come from
 * any thread.
 */
public final class QmpClient implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.shared();
    private static final int MAX_EVENTS = 256;

    private final SocketChannel socket;
    private final JsonNode greeting;
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Deque<JsonNode> events = new ArrayDeque<>();
    private final Object writeLock = new Object();
    private volatile IOException closedBecause;

    private QmpClient(SocketChannel socket, JsonNode greeting) {
        this.socket = socket;
        this.greeting = greeting;
    }

    /** Thrown when QMP answers with {@code error}, or the connection fails. */
    public static final class QmpException extends IOException {
        private static final long serialVersionUID = 1L;

        public QmpException(String message) {
            super(message);
        }
    }

    /** Connects to a QMP socket QEMU already listens on, and negotiates command mode. */
    public static QmpClient connect(Path socketPath, Duration timeout) throws IOException {
        return connect(SocketChannel.open(UnixDomainSocketAddress.of(socketPath)), timeout);
    }

    /** Takes over a socket already connected to QMP and negotiates command mode. */
    public static QmpClient connect(SocketChannel socket, Duration timeout) throws IOException {
        try {
            LineReader lines = new LineReader(socket);
            // The greeting comes first, before any command; read it on this thread.
            String first = lines.next();
            if (first == null) {
                throw new QmpException("QMP socket closed before the greeting");
            }
            JsonNode greeting = JSON.readTree(first);
            if (!greeting.has("QMP")) {
                throw new QmpException("not a QMP greeting: " + first);
            }
            QmpClient client = new QmpClient(socket, greeting);
            Thread reader = new Thread(() -> client.readLoop(lines), "pyro-qmp-reader");
            reader.setDaemon(true);
            reader.start();
            client.execute("qmp_capabilities", Map.of(), timeout);
            return client;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e instanceof IOException io ? io : new QmpException("QMP handshake failed: " + e.getMessage());
        }
    }

    /** QEMU's version as the greeting reports it, e.g. {@code 7.2.19}. */
    public String qemuVersion() {
        JsonNode v = greeting.path("QMP").path("version").path("qemu");
        return v.path("major").asInt() + "." + v.path("minor").asInt() + "." + v.path("micro").asInt();
    }

    /** Runs a command and returns its {@code return} value. */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) throws IOException {
        String id = "pyro-" + ids.incrementAndGet();
        ObjectNode request = JSON.createObjectNode();
        request.put("execute", command);
        if (!arguments.isEmpty()) {
            request.set("arguments", JSON.valueToTree(arguments));
        }
        request.put("id", id);
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            write(JSON.writeValueAsString(request));
            JsonNode response = answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (response.has("error")) {
                JsonNode error = response.get("error");
                throw new QmpException(command + ": " + error.path("class").asString() + ": "
                        + error.path("desc").asString());
            }
            return response.path("return");
        } catch (TimeoutException e) {
            throw new QmpException("QMP " + command + " not answered within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new QmpException(String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted while waiting for QMP " + command);
        } finally {
            pending.remove(id);
        }
    }

    /** The run state from {@code query-status}, e.g. {@code running}, {@code paused}, {@code shutdown}. */
    public String queryStatus(Duration timeout) throws IOException {
        return execute("query-status", Map.of(), timeout).path("status").asString();
    }

    /**
     * Asks QEMU to exit at once ({@code quit}). QEMU may close the socket before it answers;
     * that counts as success.
     */
    public void quit(Duration timeout) throws IOException {
        try {
            execute("quit", Map.of(), timeout);
        } catch (QmpException e) {
            if (closedBecause == null) {
                throw e;
            }
        }
    }

    /** Waits for an event with this name (one already received counts), or returns null. */
    public JsonNode awaitEvent(String name, Duration timeout) throws InterruptedException {
        Predicate<JsonNode> match = e -> name.equals(e.path("event").asString());
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (events) {
            while (true) {
                for (JsonNode e : events) {
                    if (match.test(e)) {
                        return e;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || closedBecause != null) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(events, left);
            }
        }
    }

    /** The events received so far (at most the last 256). */
    public List<JsonNode> events() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    public boolean isOpen() {
        return closedBecause == null;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    private void write(String line) throws IOException {
        if (closedBecause != null) {
            throw new QmpException("QMP connection closed: " + closedBecause.getMessage());
        }
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        synchronized (writeLock) {
            while (b.hasRemaining()) {
                socket.write(b);
            }
        }
    }

    private void readLoop(LineReader lines) {
        IOException why;
        try {
            String line;
            while ((line = lines.next()) != null) {
                if (!line.isEmpty()) {
                    dispatch(JSON.readTree(line));
                }
            }
            why = new QmpException("QEMU closed the QMP connection");
        } catch (IOException e) {
            why = e;
        } catch (JacksonException e) {
            why = new QmpException("QMP sent bad JSON: " + e.getOriginalMessage());
        }
        closedBecause = why;
        for (CompletableFuture<JsonNode> f : pending.values()) {
            f.completeExceptionally(why);
        }
        synchronized (events) {
            events.notifyAll();
        }
        close();
    }

    private void dispatch(JsonNode message) {
        if (message.has("event")) {
            synchronized (events) {
                if (events.size() == MAX_EVENTS) {
                    events.removeFirst();
                }
                events.addLast(message);
                events.notifyAll();
            }
            return;
        }
        CompletableFuture<JsonNode> answer = pending.get(message.path("id").asString(""));
        if (answer != null) {
            answer.complete(message);
        }
    }

    /** Splits the socket's bytes into lines without reading byte by byte. */
    private static final class LineReader {
        private static final int MAX_LINE = 16 * 1024 * 1024;
        private final SocketChannel socket;
        private ByteBuffer buffer = ByteBuffer.allocate(64 * 1024).flip();

        LineReader(SocketChannel socket) {
            this.socket = socket;
        }

        String next() throws IOException {
            while (true) {
                for (int i = buffer.position(); i < buffer.limit(); i++) {
                    if (buffer.get(i) == '\n') {
                        byte[] line = new byte[i - buffer.position()];
                        buffer.get(line);
                        buffer.get(); // the newline
                        return new String(line, StandardCharsets.UTF_8).strip();
                    }
                }
                buffer.compact();
                if (!buffer.hasRemaining()) {
                    if (buffer.capacity() >= MAX_LINE) {
                        throw new QmpException("QMP line longer than " + MAX_LINE + " bytes");
                    }
                    buffer = ByteBuffer.allocate(buffer.capacity() * 2).put(buffer.flip());
                }
                int n = socket.read(buffer);
                buffer.flip();
                if (n < 0) {
                    return null;
                }
            }
        }
    }
}
