package dev.pyro.mcp;

import dev.pyro.PyroException;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;
import java.util.Set;

/**
 * One MCP tool over one SDK operation. Adding a tool is one implementation of this interface
 * plus its registration line in {@link ToolCatalog}; the server does the rest (threading,
 * progress, cancellation, results and errors).
 *
 * <p>{@link #call} runs on a thread of its own. It reports progress simply by letting the SDK
 * call the {@code Pyro} instance's progress listener, and it is cancelled by interrupting that
 * thread (the SDK then kills what it started and throws {@code PyroException} CANCELLED).
 */
public interface PyroTool {
    /** The tool's name; one of {@link ToolNames}. */
    String name();

    /** Name, title, description, input and output schema, annotations: what tools/list shows. */
    McpSchema.Tool definition();

    /**
     * Performs the call.
     *
     * @return the result as a JSON object (plain maps, lists, strings, numbers, booleans, nulls),
     *     normally one of {@link dev.pyro.JsonViews}
     * @throws ToolError for a bad argument, PyroException for anything the SDK refuses or fails at
     */
    Map<String, Object> call(Arguments arguments, ToolContext context) throws ToolError, PyroException;

    /** The argument names this tool takes: the properties of its input schema. */
    @SuppressWarnings("unchecked")
    default Set<String> argumentNames() {
        Object props = definition().inputSchema().get("properties");
        return props instanceof Map<?, ?> m ? ((Map<String, Object>) m).keySet() : Set.of();
    }
}
