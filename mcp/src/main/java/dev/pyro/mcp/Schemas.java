package dev.pyro.mcp;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Small builders for the JSON Schemas (2020-12) of tool inputs and outputs, as the plain maps
 * the MCP SDK takes. Kept as data so that a tool's argument names come from its schema only.
 */
public final class Schemas {
    private Schemas() {
    }

    /** An object schema; {@code additionalProperties} is false so that clients can catch typos too. */
    public static Map<String, Object> object(Map<String, Object> properties, List<String> required) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "object");
        m.put("properties", properties);
        if (!required.isEmpty()) {
            m.put("required", required);
        }
        m.put("additionalProperties", false);
        return m;
    }

    /** An object schema for results: extra fields allowed (results may grow). */
    public static Map<String, Object> result(Map<String, Object> properties, List<String> required) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "object");
        m.put("properties", properties);
        m.put("required", required);
        return m;
    }

    public static Map<String, Object> string(String description) {
        return typed("string", description);
    }

    public static Map<String, Object> nullableString(String description) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", List.of("string", "null"));
        m.put("description", description);
        return m;
    }

    public static Map<String, Object> bool(String description) {
        return typed("boolean", description);
    }

    public static Map<String, Object> bool(String description, boolean defaultValue) {
        Map<String, Object> m = typed("boolean", description);
        m.put("default", defaultValue);
        return m;
    }

    public static Map<String, Object> integer(String description) {
        return typed("integer", description);
    }

    public static Map<String, Object> integer(String description, int minimum, int defaultValue) {
        Map<String, Object> m = typed("integer", description);
        m.put("minimum", minimum);
        m.put("default", defaultValue);
        return m;
    }

    public static Map<String, Object> array(Map<String, Object> items, String description) {
        Map<String, Object> m = typed("array", description);
        m.put("items", items);
        return m;
    }

    public static Map<String, Object> properties(Object... nameSchemaPairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < nameSchemaPairs.length; i += 2) {
            m.put((String) nameSchemaPairs[i], nameSchemaPairs[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> typed(String type, String description) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("description", description);
        return m;
    }
}
