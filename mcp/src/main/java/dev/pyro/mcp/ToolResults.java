package dev.pyro.mcp;

import dev.pyro.ExecutionMode;
import dev.pyro.HostAccess;
import dev.pyro.HostAccessDeniedException;
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
 *
 * <p>Large results are never sent twice: when the JSON is longer than {@value #FULL_TEXT_COPY}
 * bytes, the text block carries it with every string longer than {@value #TEXT_PREVIEW}
 * characters cut to its start (saying how much more structuredContent has) and the base64
 * copies of output left out. A result whose JSON would not fit the MCP message limit (the MCP
 * Java SDK's {@value #MESSAGE_LIMIT} bytes, less room for the envelope) becomes a tool error
 * instead of a message the client cannot read.
 */
public final class ToolResults {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The MCP Java SDK's limit on one message (its stdio and servlet transports, its clients). */
    public static final int MESSAGE_LIMIT = 16 * 1024 * 1024;
    /** Room left in a message for the JSON-RPC envelope and the text block. */
    static final int ENVELOPE = 64 * 1024;
    /** The longest JSON that is copied whole into the text block. */
    static final int FULL_TEXT_COPY = 1024 * 1024;
    /** How much of a long string the text copy of a large result keeps. */
    static final int TEXT_PREVIEW = 16 * 1024;

    private ToolResults() {
    }

    /** The shape of an error result's structured content. */
    static final Map<String, Object> ERROR_SCHEMA = Schemas.result(Schemas.properties(
            "error", Schemas.result(Schemas.properties(
                    "kind", Schemas.string("What went wrong: invalid_argument, not_found, not_permitted (the"
                            + " server's operator has not allowed it; other arguments will not help), host_setup,"
                            + " runtime_not_ready, build_failed, vm_failed, cancelled or internal."),
                    "message", Schemas.string("One line naming the problem and the fix."),
                    "argument", Schemas.string("The argument at fault, when there is one.")),
                    List.of("kind", "message"))),
            List.of("error"));

    /**
     * The output schema a client sees for a tool whose successful results follow
     * {@code success}: that, or an error object. Clients validate structured content against the
     * output schema even on errors (the official TypeScript client 1.32 does, and then throws
     * instead of showing the error), so the error shape must be part of it.
     */
    public static Map<String, Object> outputSchema(Map<String, Object> success) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "object");
        m.put("anyOf", List.of(success, ERROR_SCHEMA));
        return m;
    }

    /**
     * A successful result. One that ran on the host without isolation (its
     * {@code execution_mode} is {@code host_compat}) gets a second text block saying so in
     * words, beside the {@code note} its JSON carries in both forms: it never goes unsaid.
     */
    public static McpSchema.CallToolResult success(Map<String, Object> json) {
        String text = JSON.writeValueAsString(json);
        int size = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (size > MESSAGE_LIMIT - ENVELOPE - FULL_TEXT_COPY) {
            return error(kindName(PyroException.Kind.INVALID_ARGUMENT), "the result is " + size + " bytes of JSON, "
                    + "more than one MCP message can carry (" + MESSAGE_LIMIT + " bytes); ask for less (e.g. a "
                    + "smaller max_output_bytes)", Optional.empty());
        }
        if (size > FULL_TEXT_COPY) {
            text = JSON.writeValueAsString(preview(json));
        }
        List<McpSchema.Content> content = new java.util.ArrayList<>();
        content.add(McpSchema.TextContent.builder(text).build());
        if (ExecutionMode.HOST_COMPAT.wireName().equals(json.get("execution_mode"))) {
            content.add(McpSchema.TextContent.builder(HOST_COMPAT_WARNING).build());
        }
        return McpSchema.CallToolResult.builder()
                .structuredContent(json)
                .content(content)
                .isError(false)
                .build();
    }

    static final String HOST_COMPAT_WARNING = "WARNING: this ran on the host WITHOUT isolation (host-compat), not in a"
            + " microVM: execution_mode is \"host_compat\".";

    /** A large result's text copy: long strings cut to their start, base64 copies left out. */
    static Map<String, Object> preview(Map<String, Object> json) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : json.entrySet()) {
            if (e.getKey().endsWith("_base64")) {
                continue;
            }
            if (e.getValue() instanceof String s && s.length() > TEXT_PREVIEW) {
                int end = Character.isHighSurrogate(s.charAt(TEXT_PREVIEW - 1)) ? TEXT_PREVIEW - 1 : TEXT_PREVIEW;
                out.put(e.getKey(), s.substring(0, end) + "\n[... " + (s.length() - end) + " more characters of "
                        + e.getKey() + " in this result's structuredContent]");
            } else {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
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
        if (e instanceof HostAccessDeniedException denied) {
            return error(kindName(e.kind()), e.getMessage() + "; " + whoOpens(denied.door()),
                    denied.door() == HostAccess.Door.HOST_EXECUTION ? Optional.of("allow_host_compat") : Optional.empty());
        }
        return error(kindName(e.kind()), e.getMessage(), Optional.empty());
    }

    /** Who can open a door on this server, and how: the operator who starts it, never a tool argument. */
    static String whoOpens(HostAccess.Door door) {
        return switch (door) {
            case HOST_EXECUTION -> "only the operator can enable host-compat, by starting the server with: pyro mcp"
                    + " serve --allow-host-compat (no tool argument can)";
            case HOST_PATHS -> "use a path under an allowed root, or ask the operator to start the server with"
                    + " --allow-path DIR for another directory";
        };
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
