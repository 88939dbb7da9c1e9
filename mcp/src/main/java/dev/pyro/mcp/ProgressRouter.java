package dev.pyro.mcp;

import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The progress listener of the server's one {@code Pyro} instance. The SDK reports progress
 * on the calling thread or on helper threads that calling thread started (build output
 * readers, download pollers), so an inheritable thread-local finds the tool call an event
 * belongs to; that call forwards it as {@code notifications/progress} when its request asked
 * for progress. Every event is also logged on stderr.
 */
public final class ProgressRouter implements ProgressListener {
    private static final Logger LOG = LoggerFactory.getLogger("dev.pyro.mcp.progress");
    private static final InheritableThreadLocal<ToolCall> CURRENT = new InheritableThreadLocal<>();

    static void bind(ToolCall call) {
        CURRENT.set(call);
    }

    static void unbind() {
        CURRENT.remove();
    }

    @Override
    public void onProgress(ProgressEvent event) {
        ToolCall call = CURRENT.get();
        String line = ToolCall.render(event);
        if (call != null) {
            LOG.info("{}: {}", call.tool(), line);
            call.progress(event);
        } else {
            LOG.info("{}", line);
        }
    }
}
