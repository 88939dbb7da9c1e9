package dev.pyro.mcp;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.DispatcherType;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streamable HTTP on Jetty 12 (the SDK's servlet transport) at {@code /mcp}, bound to
 * 127.0.0.1 unless told otherwise, with DNS-rebinding protection. Each HTTP session is one
 * MCP session; all share the server's SDK instance.
 */
public final class HttpTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
    public static final String ENDPOINT = "/mcp";
    static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private final Server jetty;
    private final PyroMcpServer server;
    private final String url;

    private HttpTransport(Server jetty, PyroMcpServer server, String url) {
        this.jetty = jetty;
        this.server = server;
        this.url = url;
    }

    /**
     * Starts serving.
     *
     * @param host the address to bind (127.0.0.1 by default; anything else exposes the server to
     *     that network, without authentication)
     * @param port the TCP port, or 0 for any free one
     */
    public static HttpTransport start(PyroMcpServer server, String host, int port) throws Exception {
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(McpJsonDefaults.getMapper())
                .mcpEndpoint(ENDPOINT)
                .maxRequestSize(MAX_MESSAGE_BYTES)
                .build();
        server.start(transport);

        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("pyro-mcp-http");
        threads.setDaemon(true);
        Server jetty = new Server(threads);
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost(host);
        connector.setPort(port);
        jetty.addConnector(connector);
        connector.open(); // bound now: tools refuse this port in allow_host_ports before any request arrives
        server.network().serving(connector.getLocalPort());

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder servlet = new ServletHolder("mcp", transport);
        servlet.setAsyncSupported(true);
        context.addServlet(servlet, ENDPOINT);
        FilterHolder filter = new FilterHolder(new LocalRequestFilter(new OriginPolicy(host), server.tap(),
                MAX_MESSAGE_BYTES));
        filter.setAsyncSupported(true);
        context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
        jetty.setHandler(context);
        jetty.setStopAtShutdown(false);
        jetty.start();

        String shownHost = host.contains(":") ? "[" + host + "]" : host;
        String url = "http://" + shownHost + ":" + connector.getLocalPort() + ENDPOINT;
        if (!isLoopback(host)) {
            LOG.warn("listening on {}, which other machines may reach; the MCP endpoint has no authentication", host);
        }
        return new HttpTransport(jetty, server, url);
    }

    private static boolean isLoopback(String host) {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1") || host.equals("[::1]");
    }

    /** The endpoint's URL, e.g. {@code http://127.0.0.1:8765/mcp}. */
    public String url() {
        return url;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /** Stops accepting requests, ends in-flight calls and kills their VMs. Never throws. */
    @Override
    public void close() {
        server.close(); // first: in-flight calls end now instead of holding their HTTP requests open
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.debug("stopping jetty: {}", e.toString());
        }
    }
}
