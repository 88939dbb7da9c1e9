package dev.pyro.mcp.tools;

import dev.pyro.mcp.PyroTool;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;

/**
 * A tool whose definition is fixed at construction; subclasses only implement {@code call}.
 * Keeps the lifecycle tools to their one interesting part: which SDK call and which view.
 */
abstract class SdkTool implements PyroTool {
    private final McpSchema.Tool definition;

    SdkTool(String name, String title, String description, Map<String, Object> input, Map<String, Object> output,
            Hints hints) {
        this.definition = McpSchema.Tool.builder()
                .name(name)
                .title(title)
                .description(description)
                .inputSchema(input)
                .outputSchema(output)
                .annotations(McpSchema.ToolAnnotations.builder()
                        .title(title)
                        .readOnlyHint(hints == Hints.READ_ONLY)
                        .destructiveHint(hints == Hints.DESTRUCTIVE)
                        .idempotentHint(hints == Hints.READ_ONLY || hints == Hints.IDEMPOTENT
                                || hints == Hints.DESTRUCTIVE)
                        .openWorldHint(false)
                        .build())
                .build();
    }

    /** The annotation set a tool gets; MCP clients use them to decide what to confirm with the user. */
    enum Hints {
        /** Changes nothing (status, list, logs). */
        READ_ONLY,
        /** Changes state; repeating it changes nothing more (start, stop). */
        IDEMPOTENT,
        /** Creates or runs something new on each call (create, exec, sync, export). */
        ADDITIVE,
        /** Deletes data (delete, reap, and vm_exec, which deletes its VM). */
        DESTRUCTIVE
    }

    @Override
    public final String name() {
        return definition.name();
    }

    @Override
    public final McpSchema.Tool definition() {
        return definition;
    }
}
