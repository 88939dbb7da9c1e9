package dev.pyro.internal.oci;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Logins stored by {@code docker login} in the Docker config file ({@code $DOCKER_CONFIG/config.json},
 * else {@code ~/.docker/config.json}): its {@code "auths"} object, keyed by registry (with or
 * without a scheme and path), each with {@code "auth"} (base64 of {@code user:password}) or
 * {@code "username"} and {@code "password"}. Credential helpers ({@code credsStore},
 * {@code credHelpers}) are not run: use the PYRO_REGISTRY_USERNAME/PASSWORD variables instead.
 */
public final class DockerConfig {
    private DockerConfig() {
    }

    /** The config file: {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}. */
    public static Path location(String dockerConfigEnv, Path userHome) {
        return dockerConfigEnv != null && !dockerConfigEnv.isBlank()
                ? Path.of(dockerConfigEnv).resolve("config.json")
                : userHome.resolve(".docker/config.json");
    }

    /** The login for {@code registry} in {@code file}, if the file exists and has one. */
    public static Optional<Credentials> lookup(Path file, String registry) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return lookup(Files.readAllBytes(file), registry, file.toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The login for {@code registry} ({@code host[:port]}) in a config file's content. An
     * unreadable file or entry yields nothing rather than an error: the registry then says
     * whether it needs a login at all.
     */
    static Optional<Credentials> lookup(byte[] json, String registry, String where) {
        JsonNode auths;
        try {
            JsonNode root = OciJson.MAPPER.readTree(json);
            auths = root == null ? null : root.get("auths");
        } catch (JacksonException e) {
            return Optional.empty();
        }
        if (auths == null || !auths.isObject()) {
            return Optional.empty();
        }
        List<String> wanted = keysFor(registry);
        for (var entry : auths.properties()) {
            if (wanted.contains(normalise(entry.getKey()))) {
                Optional<Credentials> found = decode(entry.getValue(), where);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Credentials> decode(JsonNode entry, String where) {
        String source = where + " (docker login)";
        JsonNode auth = entry.get("auth");
        if (auth != null && auth.isString() && !auth.asString().isEmpty()) {
            try {
                String decoded = new String(Base64.getDecoder().decode(auth.asString().strip()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                if (colon > 0) {
                    return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1), source));
                }
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        JsonNode user = entry.get("username");
        JsonNode password = entry.get("password");
        if (user != null && password != null && user.isString() && password.isString()) {
            return Optional.of(new Credentials(user.asString(), password.asString(), source));
        }
        return Optional.empty();
    }

    /** The normalised keys a login for {@code registry} may be stored under. */
    private static List<String> keysFor(String registry) {
        String r = registry.toLowerCase(Locale.ROOT);
        if (r.equals("docker.io") || r.equals("index.docker.io") || r.equals("registry-1.docker.io")) {
            return List.of("docker.io", "index.docker.io", "registry-1.docker.io");
        }
        return List.of(r);
    }

    /** {@code https://host:port/v1/} -> {@code host:port}. */
    static String normalise(String key) {
        String k = key.toLowerCase(Locale.ROOT).strip();
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        return slash >= 0 ? k.substring(0, slash) : k;
    }
}
