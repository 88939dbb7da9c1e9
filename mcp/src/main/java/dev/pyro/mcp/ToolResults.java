package dev.pyro.mcp;

import dev.pyro.PyroException;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tool results as MCP wants them: the JSON object as {@code structuredContent} and the same
 * JSON as one text block (some clients read only one of the two). Failures are tool errors
 * ({@code isError: true}) carrying {@code {"error": {"kind", "message", "argument"}}} the same
 * two ways; the message is one line naming the problem and the fix, never a stack trace.
 */
public final class ToolResults {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ToolResults() {
    }

    public static McpSchema.CallToolResult success(Map<String, Object> json) {
        return McpSchema.CallToolResult.builder()
                .structuredContent(json)
                .content(List.of(McpSchema.TextContent.builder(JSON.writeValueAsString(json)).build()))
                .isError(false)
                .build();
    }

    /**
     * A tool error.
     *
     * @param kind the {@link PyroException.Kind} in snake_case, e.g. {@code invalid_argument}
     * @param argument the argument at fault, when known
     */
    public static McpSchema.CallToolResult error(String kind, String message, Optional<String> argument) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("kind", kind);
        error.put("message", oneLine(message));
        argument.ifPresent(a -> error.put("argument", a));
        Map<String, Object> json = Map.of("error", error);
        return McpSchema.CallToolResult.builder()
                .structuredContent(json)
                .content(List.of(McpSchema.TextContent.builder(JSON.writeValueAsString(json)).build()))
                .isError(true)
                .build();
    }

    public static McpSchema.CallToolResult error(PyroException e) {
        return error(kindName(e.kind()), e.getMessage(), Optional.empty());
    }

    public static McpSchema.CallToolResult error(ToolError e) {
        return error(kindName(PyroException.Kind.INVALID_ARGUMENT), e.getMessage(), e.argument());
    }

    public static String kindName(PyroException.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "unknown error";
        }
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
