package dev.pyro.internal.oci;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * A registry login. {@link #toString()} never shows the password.
 *
 * @param username the user name
 * @param password the password or access token
 * @param source where it came from, for messages (e.g. {@code PYRO_REGISTRY_USERNAME}, or the
 *     Docker config file)
 */
public record Credentials(String username, String password, String source) {
    public Credentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
    }

    /** The value of an {@code Authorization: Basic} header. */
    public String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Credentials[" + username + " from " + source + "]";
    }
}
