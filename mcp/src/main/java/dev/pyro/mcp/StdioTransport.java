package dev.pyro.mcp;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one client over stdin/stdout until the client goes away (stdin ends); then ends the
 * calls in flight, kills the VMs of one-shot runs and returns. stdout carries protocol
 * messages only.
 */
public final class StdioTransport {
    private static final Logger LOG = LoggerFactory.getLogger(StdioTransport.class);
    /** Longest inbound message; the SDK's own limit is 16 MiB and ours must stay below it. */
    static final int MAX_MESSAGE_BYTES = 15 * 1024 * 1024;

    private StdioTransport() {
    }

    /** Serves until {@code in} ends, then closes {@code server}. */
    public static void serve(PyroMcpServer server, InputStream in, OutputStream out) throws InterruptedException {
        CountDownLatch ended = new CountDownLatch(1);
        TappedInput tapped = new TappedInput(in, server.tap(), out, ended::countDown, MAX_MESSAGE_BYTES);
        server.start(new StdioServerTransportProvider(McpJsonDefaults.getMapper(), tapped, out));
        ended.await();
        LOG.info("the client closed stdin; shutting down");
        server.close();
    }
}
