package dev.pyro.internal.oci;

import dev.pyro.PyroException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Registry settings, normally from environment variables.
 *
 * @param registry {@code PYRO_REGISTRY}: registry plus repository prefix environments are
 *     pulled from, e.g. {@code registry.example:5000/pyro} (none by default)
 * @param insecure {@code PYRO_REGISTRY_INSECURE=1}: plain HTTP is allowed for any registry
 *     (always allowed for loopback addresses)
 * @param credentials {@code PYRO_REGISTRY_USERNAME} and {@code PYRO_REGISTRY_PASSWORD}
 * @param dockerConfig the Docker config file consulted when the variables are not set
 * @param requestTimeout {@code PYRO_OCI_REQUEST_TIMEOUT_SECONDS} (default 30): connecting,
 *     each metadata request, and the longest stall of a download
 * @param uploadTimeout {@code PYRO_OCI_UPLOAD_TIMEOUT_SECONDS} (default 600): each chunk upload
 * @param chunkSize {@code PYRO_OCI_UPLOAD_CHUNK_SIZE_BYTES} (default 16 MiB): bytes per PATCH
 * @param compressionLevel {@code PYRO_OCI_COMPRESSION_LEVEL} (default 9): zstd level of published
 *     layers (19 is 14% smaller for debian:12 but takes 40 times as long)
 */
public record OciSettings(Optional<String> registry, boolean insecure, Optional<Credentials> credentials,
        Path dockerConfig, Duration requestTimeout, Duration uploadTimeout, int chunkSize, int compressionLevel) {

    public static final String REGISTRY = "PYRO_REGISTRY";
    public static final String INSECURE = "PYRO_REGISTRY_INSECURE";
    public static final String USERNAME = "PYRO_REGISTRY_USERNAME";
    public static final String PASSWORD = "PYRO_REGISTRY_PASSWORD";
    public static final String REQUEST_TIMEOUT = "PYRO_OCI_REQUEST_TIMEOUT_SECONDS";
    public static final String UPLOAD_TIMEOUT = "PYRO_OCI_UPLOAD_TIMEOUT_SECONDS";
    public static final String CHUNK_SIZE = "PYRO_OCI_UPLOAD_CHUNK_SIZE_BYTES";
    public static final String COMPRESSION_LEVEL = "PYRO_OCI_COMPRESSION_LEVEL";

    static final int MIN_CHUNK = 64 * 1024;
    static final int MAX_CHUNK = 1 << 30;

    /**
     * Reads the variables; malformed values are INVALID_ARGUMENT errors naming the variable.
     */
    public static OciSettings fromEnvironment(Map<String, String> env, Path userHome) {
        Optional<String> registry = nonBlank(env.get(REGISTRY));
        registry.ifPresent(r -> {
            String prefix = r.endsWith("/") ? r.substring(0, r.length() - 1) : r;
            String first = prefix.contains("/") ? prefix.substring(0, prefix.indexOf('/')) : prefix;
            if (prefix.contains("://") || !ImageReference.looksLikeRegistry(first)) {
                throw PyroException.invalidArgument(REGISTRY + "='" + r + "' is not a registry with an optional"
                        + " repository prefix; set it like registry.example:5000/pyro (no scheme)");
            }
            try {
                ImageReference.forEnvironment(prefix, "probe:tag", null);
            } catch (PyroException e) {
                throw PyroException.invalidArgument(REGISTRY + "='" + r + "' is not a valid registry prefix; set it"
                        + " like registry.example:5000/pyro (lower-case repository components)");
            }
        });
        String insecureText = env.getOrDefault(INSECURE, "").trim();
        if (!insecureText.isEmpty() && !insecureText.equals("0") && !insecureText.equals("1")) {
            throw PyroException.invalidArgument(INSECURE + "='" + insecureText + "' must be 1 or 0");
        }
        Optional<String> user = nonBlank(env.get(USERNAME));
        Optional<String> password = Optional.ofNullable(env.get(PASSWORD)).filter(p -> !p.isEmpty());
        if (user.isPresent() != password.isPresent()) {
            throw PyroException.invalidArgument((user.isPresent() ? PASSWORD : USERNAME) + " is not set but "
                    + (user.isPresent() ? USERNAME : PASSWORD) + " is; set both or neither");
        }
        Optional<Credentials> credentials = user.map(u -> new Credentials(u, password.get(), USERNAME + "/" + PASSWORD));
        return new OciSettings(registry.map(r -> r.endsWith("/") ? r.substring(0, r.length() - 1) : r),
                insecureText.equals("1"), credentials, DockerConfig.location(env.get("DOCKER_CONFIG"), userHome),
                Duration.ofSeconds(positive(env, REQUEST_TIMEOUT, 30, 1, 86_400)),
                Duration.ofSeconds(positive(env, UPLOAD_TIMEOUT, 600, 1, 86_400)),
                (int) positive(env, CHUNK_SIZE, 16L << 20, MIN_CHUNK, MAX_CHUNK),
                (int) positive(env, COMPRESSION_LEVEL, 9, 1, 19));
    }

    /** Defaults: no registry, nothing insecure, no credentials. */
    public static OciSettings defaults(Path userHome) {
        return fromEnvironment(Map.of(), userHome);
    }

    /** The login to use for {@code registry}: the variables, else the Docker config file. */
    public Optional<Credentials> credentialsFor(String registry) {
        return credentials.isPresent() ? credentials : DockerConfig.lookup(dockerConfig, registry);
    }

    /** Whether plain HTTP may be used for {@code reference}'s registry. */
    public boolean plainHttpAllowed(ImageReference reference) {
        return insecure || reference.isLoopback();
    }

    private static long positive(Map<String, String> env, String name, long fallback, long min, long max) {
        Optional<String> text = nonBlank(env.get(name));
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            long value = Long.parseLong(text.get());
            if (value < min || value > max) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw PyroException.invalidArgument(name + "='" + text.get() + "' must be a whole number from " + min
                    + " to " + max + "; unset it for the default " + fallback);
        }
    }

    private static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }
}
