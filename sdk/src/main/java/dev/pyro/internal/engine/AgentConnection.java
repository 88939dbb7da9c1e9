package dev.pyro.internal.engine;

import dev.pyro.internal.guest.GuestClient;
import dev.pyro.internal.guest.HelloInfo;
import java.util.Objects;

/**
 * One process's connection to the guest agent of a persistent VM, over one of its agent ports,
 * which it holds exclusively until {@link #close()} (or until the connection is lost: the port
 * is released then too). The agent already answered HELLO.
 *
 * <p>Closing ends the connection: the agent kills the commands this connection started that
 * still run, and drops their results (docs/guest-protocol.md, "Connections").
 */
public final class AgentConnection implements AutoCloseable {
    private final String vmId;
    private final int port;
    private final GuestClient guest;
    private final HelloInfo hello;

    /**
     * @param guest a client whose transport, when closed, also releases the port
     */
    public AgentConnection(String vmId, int port, GuestClient guest, HelloInfo hello) {
        this.vmId = Objects.requireNonNull(vmId, "vmId");
        this.port = port;
        this.guest = Objects.requireNonNull(guest, "guest");
        this.hello = Objects.requireNonNull(hello, "hello");
    }

    public String vmId() {
        return vmId;
    }

    /** The agent port held (0: {@code org.pyro.agent}, N: {@code org.pyro.agent.N}). */
    public int port() {
        return port;
    }

    /** The connected agent: exec, ping, shutdown. */
    public GuestClient guest() {
        return guest;
    }

    /** What the agent said in HELLO_OK on this connection. */
    public HelloInfo hello() {
        return hello;
    }

    /** Closes the connection and releases the port; never throws. */
    @Override
    public void close() {
        guest.close();
    }

    @Override
    public String toString() {
        return "AgentConnection[" + vmId + ", port " + port + "]";
    }
}
