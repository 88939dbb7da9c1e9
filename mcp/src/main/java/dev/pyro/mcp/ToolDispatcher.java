package dev.pyro.mcp;

import dev.pyro.PyroException;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Runs tool calls: each on a thread of its own (so that a cancellation can interrupt exactly
 * that call), with its progress routed to the client, and every outcome turned into a tool
 * result: success, a tool error for bad arguments and SDK failures, and no response at all
 * for a cancelled call (as the MCP spec asks).
 */
final class ToolDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ToolDispatcher.class);

    private final ToolContext context;
    private final CallRegistry calls;
    private final ExecutorService executor;
    private final int maxCalls;

    ToolDispatcher(ToolContext context, CallRegistry calls, ExecutorService executor, int maxCalls) {
        this.context = context;
        this.calls = calls;
        this.executor = executor;
        this.maxCalls = maxCalls;
    }

    McpServerFeatures.AsyncToolSpecification specification(PyroTool tool) {
        return McpServerFeatures.AsyncToolSpecification.builder()
                .tool(served(tool.definition()))
                .callHandler((exchange, request) -> Mono.defer(() -> handle(tool, exchange, request)))
                .build();
    }

    /** The definition as served: any output schema also admits the error shape every tool may return. */
    static McpSchema.Tool served(McpSchema.Tool t) {
        if (t.outputSchema() == null) {
            return t;
        }
        return McpSchema.Tool.builder()
                .name(t.name())
                .title(t.title())
                .description(t.description())
                .inputSchema(t.inputSchema())
                .outputSchema(ToolResults.outputSchema(t.outputSchema()))
                .annotations(t.annotations())
                .meta(t.meta())
                .icons(t.icons())
                .build();
    }

    private Mono<McpSchema.CallToolResult> handle(PyroTool tool, McpAsyncServerExchange exchange,
            McpSchema.CallToolRequest request) {
        Map<String, Object> meta = request.meta() == null ? Map.of() : request.meta();
        String key = meta.get(MessageTap.CALL_KEY) instanceof String s ? s : null;
        Object token = meta.get("progressToken");
        ToolCall call = calls.begin(key, tool.name(), token == null ? null : progressSender(exchange, token));
        if (call == null) {
            LOG.info("{}: cancelled before it started", tool.name());
            return Mono.empty();
        }
        CompletableFuture<McpSchema.CallToolResult> outcome = new CompletableFuture<>();
        try {
            executor.execute(() -> outcome.complete(run(tool, call, request.arguments())));
        } catch (RejectedExecutionException e) {
            calls.end(call);
            if (executor.isShutdown()) {
                return Mono.just(ToolResults.error(ToolResults.kindName(PyroException.Kind.CANCELLED),
                        "the server is shutting down; start it again and retry", Optional.empty()));
            }
            LOG.warn("{}: refused, {} calls are running already", tool.name(), maxCalls);
            return Mono.just(ToolResults.error(ToolResults.kindName(PyroException.Kind.INVALID_ARGUMENT),
                    "too many tool calls at once: " + maxCalls + " are running, the server's limit; retry when one "
                            + "has finished (raise the limit with " + PyroMcpServer.ENV_MAX_CALLS + " (now "
                            + maxCalls + "))", Optional.empty()));
        }
        return Mono.fromFuture(outcome).flatMap(result -> call.cancelled() ? Mono.empty() : Mono.just(result));
    }

    /** Runs on a call thread. Never throws: every failure becomes a tool error. */
    private McpSchema.CallToolResult run(PyroTool tool, ToolCall call, Map<String, Object> rawArguments) {
        call.attach();
        ProgressRouter.bind(call);
        try {
            Arguments args = Arguments.of(tool.name(), rawArguments, tool.argumentNames());
            McpSchema.CallToolResult result = ToolResults.success(tool.call(args, context));
            LOG.info("{}: done in {} ms", tool.name(), call.elapsedMillis());
            return result;
        } catch (ToolError e) {
            LOG.info("{}: bad argument: {}", tool.name(), e.getMessage());
            return ToolResults.error(e);
        } catch (PyroException e) {
            if (call.cancelled()) {
                LOG.info("{}: cancelled after {} ms ({})", tool.name(), call.elapsedMillis(), e.getMessage());
            } else if (e.kind() == PyroException.Kind.NOT_PERMITTED) {
                LOG.warn("{}: not permitted on this server: {}", tool.name(), e.getMessage());
            } else if (e.kind() == PyroException.Kind.INVALID_ARGUMENT || e.kind() == PyroException.Kind.NOT_FOUND) {
                LOG.info("{}: refused: {}", tool.name(), e.getMessage());
            } else {
                LOG.warn("{}: failed ({}): {}", tool.name(), ToolResults.kindName(e.kind()), e.getMessage());
                LOG.debug("{}: failure detail", tool.name(), e);
            }
            return ToolResults.error(e);
        } catch (RuntimeException | Error e) {
            LOG.error("{}: internal error", tool.name(), e);
            return ToolResults.error(ToolResults.kindName(PyroException.Kind.INTERNAL), "internal error in "
                    + tool.name() + " (" + e + "); please report it with the server's stderr log", Optional.empty());
        } finally {
            ProgressRouter.unbind();
            call.detach();
            calls.end(call);
        }
    }

    private static Consumer<ToolCall.ProgressUpdate> progressSender(McpAsyncServerExchange exchange, Object token) {
        return update -> exchange.progressNotification(
                        new McpSchema.ProgressNotification(token, (double) update.progress(), null, update.message(), null))
                .subscribe(ok -> { }, e -> LOG.debug("progress notification not delivered: {}", e.toString()));
    }
}
