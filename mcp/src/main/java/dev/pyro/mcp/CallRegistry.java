package dev.pyro.mcp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The tool calls in flight, by call key (transport session + JSON-RPC request id, see
 * {@link MessageTap}), so that {@code notifications/cancelled} can reach the right one. A
 * cancellation that arrives before its call started is remembered (boundedly) and the call
 * then ends at once.
 */
public final class CallRegistry {
    private static final int REMEMBERED_CANCELLATIONS = 1024;

    private final Map<String, ToolCall> byKey = new ConcurrentHashMap<>();
    private final Set<ToolCall> running = ConcurrentHashMap.newKeySet();
    private final Set<String> cancelledEarly = Collections.newSetFromMap(new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_CANCELLATIONS;
        }
    });

    /**
     * Registers a call about to start.
     *
     * @param key the call key, or null when the transport gave none (then it cannot be cancelled
     *     individually, only by {@link #cancelAll})
     * @return the call, or null if it was cancelled before it started
     */
    public ToolCall begin(String key, String tool, Consumer<ToolCall.ProgressUpdate> progress) {
        if (key != null) {
            synchronized (cancelledEarly) {
                if (cancelledEarly.remove(key)) {
                    return null;
                }
            }
        }
        ToolCall call = new ToolCall(key, tool, progress);
        running.add(call);
        if (key != null) {
            byKey.put(key, call);
        }
        return call;
    }

    public void end(ToolCall call) {
        running.remove(call);
        if (call.key() != null) {
            byKey.remove(call.key(), call);
        }
    }

    /** Cancels the call with this key, or remembers the key if that call has not started yet. */
    public boolean cancel(String key) {
        ToolCall call = byKey.get(key);
        if (call != null) {
            call.cancel();
            return true;
        }
        synchronized (cancelledEarly) {
            cancelledEarly.add(key);
        }
        return false;
    }

    /** Cancels every running call (the client went away, or the server stops). */
    public int cancelAll() {
        int n = 0;
        for (ToolCall call : running) {
            call.cancel();
            n++;
        }
        return n;
    }

    public int inFlight() {
        return running.size();
    }
}
