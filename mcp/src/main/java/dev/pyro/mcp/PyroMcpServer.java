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
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
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
    /** Tool calls that may run at once by default; more are refused until one ends. */
    public static final int DEFAULT_MAX_CALLS = 16;
    /** The environment variable that sets how many tool calls may run at once. */
    public static final String ENV_MAX_CALLS = "PYRO_MCP_MAX_CALLS";

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
    private final int maxCalls;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile McpAsyncServer server;

    /**
     * @param pyro the SDK facade; build it with a {@link ProgressRouter} as its progress listener
     *     so that progress reaches clients. The server closes it on {@link #close()}.
     */
    public PyroMcpServer(Pyro pyro, Profile profile) {
        this(pyro, profile, NetworkGate.closed(), maxCalls(System.getenv()));
    }

    /**
     * @param network the network doors the operator lets tool calls open
     * @param maxCalls tool calls that may run at once (each holds a thread and its command's output)
     */
    public PyroMcpServer(Pyro pyro, Profile profile, NetworkGate network, int maxCalls) {
        this.pyro = pyro;
        this.profile = profile;
        this.network = network;
        this.tools = ToolCatalog.forProfile(profile, EnvironmentChoice.of(pyro.environments()), pyro.hostAccess());
        this.maxCalls = maxCalls;
        this.executor = callPool(maxCalls);
    }

    /**
     * The threads tool calls run on: one per call (a cancellation interrupts exactly that call),
     * at most {@code maxCalls} at once and no queue, so a client that floods the server gets
     * refusals, not a heap full of waiting calls and their outputs.
     */
    static ExecutorService callPool(int maxCalls) {
        AtomicInteger n = new AtomicInteger();
        return new ThreadPoolExecutor(0, maxCalls, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "pyro-mcp-call-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * {@value #ENV_MAX_CALLS} from {@code env}, else {@value #DEFAULT_MAX_CALLS}.
     *
     * @throws dev.pyro.PyroException naming the variable when it is not a positive number
     */
    public static int maxCalls(java.util.Map<String, String> env) {
        String v = env.get(ENV_MAX_CALLS);
        if (v == null || v.isBlank()) {
            return DEFAULT_MAX_CALLS;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 1 && n <= 1024) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw dev.pyro.PyroException.invalidArgument(ENV_MAX_CALLS + "='" + v + "' is not a number of calls; use a "
                + "whole number from 1 to 1024 (default " + DEFAULT_MAX_CALLS + ")");
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
        ToolDispatcher dispatcher = new ToolDispatcher(new ToolContext(pyro, network), calls, executor, maxCalls);
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
