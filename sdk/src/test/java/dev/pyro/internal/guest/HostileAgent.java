package dev.pyro.internal.guest;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A guest agent that speaks the protocol well enough to be trusted (HELLO, PING) and then
 * misbehaves as a test scripts it: a small program on a unix socket, as QEMU's agent chardev
 * is one. Every connection gets the same script; each request runs on a thread of its own, so
 * the connection keeps answering PING while a request misbehaves.
 */
final class HostileAgent implements AutoCloseable {
    /** What the agent does with a request (EXEC, EXPORT, STAT, IMPORT) of one connection. */
    interface Script {
        void handle(Frame request, Out out) throws Exception;
    }

    /** Writes frames to one connection (thread-safe). */
    static final class Out {
        private final SocketChannel channel;

        Out(SocketChannel channel) {
            this.channel = channel;
        }

        synchronized void send(Frame f) throws IOException {
            write(FrameCodec.encode(f));
        }

        /** Raw bytes, e.g. many frames at once or part of one. */
        synchronized void write(byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }

    private final Path socket;
    private final ServerSocketChannel server;
    private final Script script;
    private final List<SocketChannel> connections = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    HostileAgent(Path dir, Script script) throws IOException {
        this.socket = dir.resolve("agent.sock");
        Files.deleteIfExists(socket);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        this.script = script;
        this.acceptor = new Thread(this::acceptLoop, "hostile-agent-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A client on a new connection, after HELLO. */
    GuestClient connect(Duration execGrace) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket));
        GuestClient client = new GuestClient("the hostile agent", c, c, c, execGrace);
        client.hello(Duration.ofSeconds(5));
        return client;
    }

    private void acceptLoop() {
        try {
            while (true) {
                SocketChannel c = server.accept();
                connections.add(c);
                Thread t = new Thread(() -> serve(c), "hostile-agent-conn");
                t.setDaemon(true);
                t.start();
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void serve(SocketChannel c) {
        Out out = new Out(c);
        FrameReader reader = new FrameReader(c);
        try {
            Frame f;
            while ((f = reader.read()) != null) {
                if (f instanceof Frame.Hello) {
                    out.send(new Frame.HelloOk(0, GuestClient.PROTOCOL_VERSION, "hostile".getBytes(StandardCharsets.UTF_8),
                            "6.1.0".getBytes(StandardCharsets.UTF_8), 0x08));
                } else if (f instanceof Frame.Ping ping) {
                    out.send(new Frame.Pong(0, ping.data()));
                } else if (f instanceof Frame.Exec || f instanceof Frame.Export || f instanceof Frame.Stat
                        || f instanceof Frame.Import) {
                    Frame request = f;
                    Thread t = new Thread(() -> {
                        try {
                            script.handle(request, out);
                        } catch (Exception e) {
                            // the host closed the connection: the script ends
                        }
                    }, "hostile-agent-request");
                    t.setDaemon(true);
                    t.start();
                }
            }
        } catch (IOException e) {
            // the host went away
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (SocketChannel c : connections) {
            c.close();
        }
        Files.deleteIfExists(socket);
    }
}
