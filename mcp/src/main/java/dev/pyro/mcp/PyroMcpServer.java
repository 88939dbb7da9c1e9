package dev.pyro.mcp;

import dev.pyro.HostAccess;
import dev.pyro.Pyro;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pyro's MCP server over one {@link Pyro} instance: the profile's tools, each call on its own
 * thread, cancellation by call key, and an orderly shutdown that ends in-flight calls and kills
 * the VMs they started. Transports plug in through {@link #start(McpServerTransportProvider)}
 * (stdio) and {@link #start(McpStreamableServerTransportProvider)} (streamable HTTP).
 */
public final class PyroMcpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PyroMcpServer.class);
    /** How long in-flight calls get to unwind (kill their guest command, delete their VM) at shutdown. */
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    static final String INSTRUCTIONS = String.join("\n",
            "pyro runs commands in isolated, disposable Linux microVMs (Debian), never on the user's machine.",
            "Use vm_run to execute a command in a fresh VM that is deleted afterwards: it returns exit_code,"
                    + " stdout and stderr. Each vm_run starts clean; the guest has no network.",
            "Failures are reported as tool errors whose message names the problem and the fix.");

    /** The instructions, with what the tools may reach on this host. */
    static String instructions(HostAccess access) {
        if (!access.isConfined()) {
            return INSTRUCTIONS;
        }
        return INSTRUCTIONS + "\nHost paths (seed_path, source_path, output_path) must lie under: " + String.join(", ",
                access.roots().stream().map(java.nio.file.Path::toString).toList()) + "; relative paths resolve against "
                + access.base() + ". Running on the host without isolation (allow_host_compat) is "
                + (access.hostCompatAllowed() ? "allowed by the operator, only when the user explicitly asks for it."
                        : "not enabled on this server.");
    }

    private final Pyro pyro;
    private final Profile profile;
    private final NetworkGate network;
    private final List<PyroTool> tools;
    private final CallRegistry calls = new CallRegistry();
    private final MessageTap tap = new MessageTap(calls);
    private final ExecutorService executor;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile McpAsyncServer server;

    /**
     * @param pyro the SDK facade; build it with a {@link ProgressRouter} as its progress listener
     *     so that progress reaches clients. The server closes it on {@link #close()}.
     */
    public PyroMcpServer(Pyro pyro, Profile profile) {
        this(pyro, profile, NetworkGate.closed());
    }

    /**
     * @param network the network doors the operator lets tool calls open
     */
    public PyroMcpServer(Pyro pyro, Profile profile, NetworkGate network) {
        this.pyro = pyro;
        this.profile = profile;
        this.network = network;
        this.tools = ToolCatalog.forProfile(profile, EnvironmentChoice.of(pyro.environments()), pyro.hostAccess());
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "pyro-mcp-call-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The tools served, in tools/list order. */
    public List<PyroTool> tools() {
        return tools;
    }

    public Profile profile() {
        return profile;
    }

    /** What tool calls may open on the network; transports record the server's own ports in it. */
    NetworkGate network() {
        return network;
    }

    /** Inspects inbound messages for call keys and cancellations; transports feed it. */
    MessageTap tap() {
        return tap;
    }

    CallRegistry calls() {
        return calls;
    }

    public McpAsyncServer start(McpServerTransportProvider transport) {
        return remember(configure(McpServer.async(transport)));
    }

    public McpAsyncServer start(McpStreamableServerTransportProvider transport) {
        return remember(configure(McpServer.async(transport)));
    }

    private McpAsyncServer remember(McpAsyncServer s) {
        this.server = s;
        LOG.info("serving profile {} with tools: {}", profile, String.join(", ", tools.stream().map(PyroTool::name).toList()));
        return s;
    }

    private McpAsyncServer configure(McpServer.AsyncSpecification<?> spec) {
        ToolDispatcher dispatcher = new ToolDispatcher(new ToolContext(pyro, network), calls, executor);
        List<McpServerFeatures.AsyncToolSpecification> specs = tools.stream().map(dispatcher::specification).toList();
        return spec.serverInfo(McpSchema.Implementation.builder("pyro", Pyro.version())
                        .title("pyro: disposable Linux microVMs")
                        .build())
                .jsonMapper(McpJsonDefaults.getMapper())
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).logging().build())
                .instructions(instructions(pyro.hostAccess()))
                // Arguments are checked by the tools themselves, with messages that name the fix.
                .validateToolInputs(false)
                .tools(specs)
                .build();
    }

    /**
     * Ends every in-flight call (each kills its guest command and deletes its VM), waits up to
     * {@link #SHUTDOWN_GRACE} for them, then closes the SDK facade, which kills any VM still
     * running. Idempotent; never throws.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        int cancelled = calls.cancelAll();
        if (cancelled > 0) {
            LOG.info("cancelling {} call(s) in flight", cancelled);
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("calls still running after {} s; killing their VMs", SHUTDOWN_GRACE.toSeconds());
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pyro.close();
        McpAsyncServer s = server;
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the MCP transport: {}", e.toString());
            }
        }
    }
}
