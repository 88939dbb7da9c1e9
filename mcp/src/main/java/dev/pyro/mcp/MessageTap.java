package dev.pyro.mcp;

import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Looks at each inbound JSON-RPC message before the MCP SDK does, for the two things the SDK
 * (2.1.0) leaves to us: it hands tool handlers neither the JSON-RPC request id nor
 * {@code notifications/cancelled}. So the tap
 * <ul>
 *   <li>stamps every {@code tools/call} with its call key (session + request id) in
 *       {@code params._meta["dev.pyro/call"]}, where the handler reads it back, and</li>
 *   <li>consumes {@code notifications/cancelled} and cancels the call with that key.</li>
 * </ul>
 * In strict mode (stdio) it also answers what the SDK's stdio transport would choke on (a
 * line that is not JSON, not an object, or not a JSON-RPC message stops its read loop) with a
 * JSON-RPC error, so that one bad line does not end the session. Everything else passes
 * through byte for byte.
 */
public final class MessageTap {
    /** The {@code _meta} key carrying the call key; overwritten on every call, so a client cannot forge it. */
    public static final String CALL_KEY = "dev.pyro/call";

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private final CallRegistry calls;

    public MessageTap(CallRegistry calls) {
        this.calls = calls;
    }

    /** What to do with one inbound message. */
    public sealed interface Outcome {
    }

    /** Pass this text on to the SDK (the original, or a rewritten {@code tools/call}). */
    public record Forward(String text) implements Outcome {
    }

    /** Handled here (a cancellation); the SDK does not see it. */
    public record Consumed() implements Outcome {
    }

    /** Refused: answer with this JSON-RPC error response (strict mode only). */
    public record Reject(String response) implements Outcome {
    }

    /** The call key of request {@code id} (its JSON text) in transport session {@code session}. */
    public static String callKey(String session, String idJson) {
        return session + " " + idJson;
    }

    /**
     * Inspects one message.
     *
     * @param session the transport session it came on ({@code Mcp-Session-Id}, or a fixed name for stdio)
     * @param strict answer malformed messages here instead of forwarding them
     */
    public Outcome inspect(String text, String session, boolean strict) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JacksonException e) {
            return strict ? new Reject(error(null, -32700, "Parse error: the message is not valid JSON"))
                    : new Forward(text);
        }
        if (node == null || !node.isObject()) {
            return strict ? new Reject(error(null, -32600,
                    "Invalid Request: expected one JSON-RPC message object (batches are not supported)"))
                    : new Forward(text);
        }
        JsonNode id = node.get("id");
        JsonNode method = node.get("method");
        boolean validId = id == null || id.isString() || id.isIntegralNumber();
        if (strict && (!validId || (method != null && !method.isString())
                || (method == null && (id == null || !(node.has("result") || node.has("error")))))) {
            return new Reject(error(validId ? id : null, -32600,
                    "Invalid Request: expected a JSON-RPC request, notification or response"));
        }
        if (method == null || !method.isString()) {
            return new Forward(text);
        }
        String name = method.asString();
        if (name.equals("notifications/cancelled")) {
            JsonNode params = node.get("params");
            JsonNode requestId = params == null ? null : params.get("requestId");
            if (requestId != null && (requestId.isString() || requestId.isIntegralNumber())) {
                calls.cancel(callKey(session, requestId.toString()));
            }
            return new Consumed();
        }
        if (name.equals("tools/call") && id != null && validId) {
            JsonNode params = node.get("params");
            if (params instanceof ObjectNode p) {
                JsonNode meta = p.get("_meta");
                ObjectNode m = meta instanceof ObjectNode existing ? existing : p.putObject("_meta");
                m.put(CALL_KEY, callKey(session, id.toString()));
                return new Forward(JSON.writeValueAsString(node));
            }
        }
        return new Forward(text);
    }

    private static String error(JsonNode id, int code, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("jsonrpc", "2.0");
        response.put("id", id);
        response.put("error", error);
        return JSON.writeValueAsString(response);
    }
}
