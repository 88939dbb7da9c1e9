package dev.pyro.internal.machine;

import dev.pyro.ProgressListener;
import dev.pyro.internal.engine.AgentConnection;
import dev.pyro.internal.engine.PersistentEngine;
import dev.pyro.internal.engine.PersistentVmRef;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Connections to persistent VMs' agents that this process keeps open between operations, one
 * per VM boot. Attaching costs a port lock, a socket connect and a HELLO (tens of ms under
 * emulation); a long-lived process such as the MCP server pays it once per workspace instead
 * of once per command. A connection carries any number of concurrent commands (channels), so
 * one per VM suffices. A connection whose VM went away is dropped and replaced on next use.
 */
final class AgentConnections implements AutoCloseable {
    private record Held(String bootId, AgentConnection connection) {
    }

    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private final Function<ProgressListener, PersistentEngine> engine;

    AgentConnections(Function<ProgressListener, PersistentEngine> engine) {
        this.engine = engine;
    }

    /** An open connection to the VM of {@code ref} (this boot), attaching when needed. */
    AgentConnection get(PersistentVmRef ref, Duration wait, ProgressListener progress) {
        Held h = held.get(ref.id());
        if (h != null && h.bootId().equals(ref.bootId()) && h.connection().guest().isConnected()) {
            return h.connection();
        }
        synchronized (this) {
            h = held.get(ref.id());
            if (h != null && h.bootId().equals(ref.bootId()) && h.connection().guest().isConnected()) {
                return h.connection();
            }
            if (h != null) {
                h.connection().close();
            }
            AgentConnection c = engine.apply(progress).attach(ref, wait);
            held.put(ref.id(), new Held(ref.bootId(), c));
            return c;
        }
    }

    /** Keeps a connection made elsewhere (the one a boot opens). */
    void adopt(PersistentVmRef ref, AgentConnection connection) {
        Held old = held.put(ref.id(), new Held(ref.bootId(), connection));
        if (old != null && old.connection() != connection) {
            old.connection().close();
        }
    }

    /** Closes and forgets this process's connection to a VM (before stopping or deleting it). */
    void release(String vmId) {
        Held h = held.remove(vmId);
        if (h != null) {
            h.connection().close();
        }
    }

    @Override
    public void close() {
        held.keySet().forEach(this::release);
    }
}
