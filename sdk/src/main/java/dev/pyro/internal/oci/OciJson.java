package dev.pyro.internal.oci;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON for OCI documents: camelCase as the spec writes them, compact output (the bytes are
 * what gets digested), unknown fields ignored (manifests carry fields pyro does not use).
 */
public final class OciJson {
    static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private OciJson() {
    }

    /** Parses {@code json}; throws IllegalArgumentException with the parser's first line. */
    public static <T> T parse(byte[] json, Class<T> type) {
        try {
            T value = MAPPER.readValue(json, type);
            if (value == null) {
                throw new IllegalArgumentException("empty document");
            }
            return value;
        } catch (JacksonException e) {
            String message = e.getOriginalMessage() == null ? e.getMessage() : e.getOriginalMessage();
            throw new IllegalArgumentException(message == null ? "malformed JSON" : message.split("\n", 2)[0], e);
        }
    }

    /** Compact JSON bytes. */
    public static byte[] bytes(Object value) {
        return MAPPER.writeValueAsBytes(value);
    }

    /** The value of the top-level {@code mediaType} field, or null. */
    static String mediaTypeOf(byte[] json) {
        try {
            var node = MAPPER.readTree(json);
            var field = node == null ? null : node.get("mediaType");
            return field == null || !field.isString() ? null : field.asString();
        } catch (JacksonException e) {
            return null;
        }
    }
}
