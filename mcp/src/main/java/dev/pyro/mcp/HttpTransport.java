package dev.pyro.mcp;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.DispatcherType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.CrossOriginHandler;
import org.eclipse.jetty.server.handler.QoSHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streamable HTTP on Jetty 12 (the SDK's servlet transport) at {@code /mcp}, bound to
 * 127.0.0.1 unless told otherwise. Every request must carry the bearer token
 * ({@link BearerToken}) and pass the Host/Origin checks ({@link OriginPolicy}); bodies and the
 * number of requests served at once are bounded ({@link Limits}). Each HTTP session is one MCP
 * session; all share the server's SDK instance.
 */
public final class HttpTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
    public static final String ENDPOINT = "/mcp";

    /**
     * @param maxBodyBytes largest request body (413 beyond)
     * @param maxActive requests served at once; a tool call holds its request until it ends, an
     *     SSE stream for its life
     * @param maxWaiting requests that may wait for a slot (503 beyond)
     * @param maxWait how long one may wait (then 503)
     */
    public record Limits(int maxBodyBytes, int maxActive, int maxWaiting, Duration maxWait) {
        /** Tool calls carry commands and paths, never file contents: 4 MiB is plenty; 32 x 4 MiB bounds the memory. */
        public static final Limits DEFAULT = new Limits(4 * 1024 * 1024, 32, 32, Duration.ofSeconds(10));
    }

    /**
     * @param host the address to bind (127.0.0.1 by default)
     * @param port the TCP port, or 0 for any free one
     * @param tokenFile the operator's token file; empty: generate a token into {@code tokenDir}
     * @param tokenDir where a generated token file goes (PYRO_HOME)
     * @param allowedOrigins browser origins accepted besides the server's own (with CORS)
     */
    public record Settings(String host, int port, Optional<Path> tokenFile, Path tokenDir, List<String> allowedOrigins,
            Limits limits) {
        public Settings {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(tokenFile, "tokenFile");
            Objects.requireNonNull(tokenDir, "tokenDir");
            Objects.requireNonNull(limits, "limits");
            allowedOrigins = List.copyOf(allowedOrigins);
        }

        public Settings(String host, int port, Optional<Path> tokenFile, Path tokenDir, List<String> allowedOrigins) {
            this(host, port, tokenFile, tokenDir, allowedOrigins, Limits.DEFAULT);
        }
    }

    private final Server jetty;
    private final PyroMcpServer server;
    private final BearerToken token;
    private final String url;

    private HttpTransport(Server jetty, PyroMcpServer server, BearerToken token, String url) {
        this.jetty = jetty;
        this.server = server;
        this.token = token;
        this.url = url;
    }

    /**
     * Starts serving.
     *
     * @throws dev.pyro.PyroException INVALID_ARGUMENT for an unusable token file
     */
    public static HttpTransport start(PyroMcpServer server, Settings settings) throws Exception {
        // The operator's token file is checked before anything listens.
        Optional<BearerToken> given = settings.tokenFile().map(BearerToken::fromFile);
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(McpJsonDefaults.getMapper())
                .mcpEndpoint(ENDPOINT)
                .maxRequestSize(settings.limits().maxBodyBytes())
                .build();

        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("pyro-mcp-http");
        threads.setDaemon(true);
        Server jetty = new Server(threads);
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        jetty.addConnector(connector);
        connector.open(); // bound now: the port names the token file and this server's own origin
        int port = connector.getLocalPort();
        server.network().serving(port); // tools refuse this port in allow_host_ports before any request arrives
        BearerToken token = given.isPresent() ? given.get() : BearerToken.generate(settings.tokenDir(), port);
        try {
            server.start(transport);
            ServletContextHandler context = new ServletContextHandler();
            context.setContextPath("/");
            ServletHolder servlet = new ServletHolder("mcp", transport);
            servlet.setAsyncSupported(true);
            context.addServlet(servlet, ENDPOINT);
            OriginPolicy policy = new OriginPolicy(settings.host(), port, settings.allowedOrigins());
            FilterHolder filter = new FilterHolder(new LocalRequestFilter(policy, token, server.tap(),
                    settings.limits().maxBodyBytes()));
            filter.setAsyncSupported(true);
            context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));

            Handler inner = context;
            if (!settings.allowedOrigins().isEmpty()) {
                inner = crossOrigin(settings.allowedOrigins(), context);
            }
            QoSHandler bounded = new QoSHandler(inner);
            bounded.setMaxRequestCount(settings.limits().maxActive());
            bounded.setMaxSuspendedRequestCount(settings.limits().maxWaiting());
            bounded.setMaxSuspend(settings.limits().maxWait());
            SizeLimitHandler sized = new SizeLimitHandler(settings.limits().maxBodyBytes(), -1);
            sized.setHandler(bounded);
            jetty.setHandler(sized);
            jetty.setStopAtShutdown(false);
            jetty.start();
        } catch (Exception | Error e) {
            token.close();
            try {
                jetty.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }

        String shownHost = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
        String url = "http://" + shownHost + ":" + port + ENDPOINT;
        if (!isLoopback(settings.host())) {
            LOG.warn("listening on {}, which other machines may reach; only the bearer token protects the endpoint"
                    + " and HTTP is not encrypted", settings.host());
        }
        return new HttpTransport(jetty, server, token, url);
    }

    /**
     * Browsers send a preflight (OPTIONS, without credentials) before a cross-origin POST with
     * an Authorization header; for the listed origins it is answered here, for others the
     * request goes on to the filter, which refuses it.
     */
    private static Handler crossOrigin(List<String> origins, Handler next) {
        CrossOriginHandler cors = new CrossOriginHandler();
        cors.setAllowedOriginPatterns(origins.stream().map(OriginPolicy::normalizeOrigin)
                .map(o -> Pattern.quote(o.replaceAll(":(80|443)$", "")) + "(:(80|443))?")
                .collect(Collectors.toSet()));
        cors.setAllowedMethods(Set.of("GET", "POST", "DELETE"));
        cors.setAllowedHeaders(Set.of("Content-Type", "Accept", "Authorization", "Mcp-Session-Id",
                "Mcp-Protocol-Version", "Last-Event-ID"));
        cors.setExposedHeaders(Set.of("Mcp-Session-Id", "WWW-Authenticate"));
        cors.setAllowCredentials(false);
        cors.setHandler(next);
        return cors;
    }

    private static boolean isLoopback(String host) {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1") || host.equals("[::1]");
    }

    /** The endpoint's URL, e.g. {@code http://127.0.0.1:8765/mcp}. */
    public String url() {
        return url;
    }

    /** The file holding the bearer token clients must send. */
    public Path tokenFile() {
        return token.file();
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /** Stops accepting requests, ends in-flight calls and kills their VMs, deletes a generated token file. Never throws. */
    @Override
    public void close() {
        server.close(); // first: in-flight calls end now instead of holding their HTTP requests open
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.debug("stopping jetty: {}", e.toString());
        }
        token.close();
    }
}
