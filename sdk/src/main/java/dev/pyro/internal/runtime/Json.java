package dev.pyro.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The JSON mapper for recipes and cache metadata: snake_case names, pretty output, lenient reads. */
final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            // Newer pyro versions may add fields; older ones must still read the file.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Json() {
    }

    static <T> T read(Path file, Class<T> type) {
        try {
            return MAPPER.readValue(Files.readAllBytes(file), type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The file's content, or empty when it is absent or unreadable (a half-written or foreign file). */
    static <T> java.util.Optional<T> readIfValid(Path file, Class<T> type) {
        if (!Files.isRegularFile(file)) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.ofNullable(MAPPER.readValue(Files.readAllBytes(file), type));
        } catch (IOException | JacksonException e) {
            return java.util.Optional.empty();
        }
    }

    static <T> T parse(byte[] json, Class<T> type) {
        return MAPPER.readValue(json, type);
    }

    static byte[] bytes(Object value) {
        try {
            byte[] json = MAPPER.writeValueAsBytes(value);
            byte[] withNewline = java.util.Arrays.copyOf(json, json.length + 1);
            withNewline[json.length] = '\n';
            return withNewline;
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }
}
