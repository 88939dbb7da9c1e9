package dev.pyro.internal.oci;

import dev.pyro.PyroException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Authorization for one registry, learned from its {@code WWW-Authenticate} challenges:
 * <ul>
 * <li>no challenge: anonymous requests;</li>
 * <li>{@code Bearer realm=...,service=...}: a token per scope from the realm (anonymously, or
 *   with the login as HTTP basic auth), the Docker registry token flow;</li>
 * <li>{@code Basic}: the login on every request.</li>
 * </ul>
 * Thread-safe; tokens are cached per scope for the client's lifetime.
 */
final class RegistryAuth {
    private final String registry;
    private final Optional<Credentials> credentials;
    private final HttpClient http;
    private final Duration timeout;
    private final boolean plainHttpAllowed;
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private volatile AuthChallenge challenge;

    RegistryAuth(String registry, Optional<Credentials> credentials, HttpClient http, Duration timeout,
            boolean plainHttpAllowed) {
        this.registry = registry;
        this.credentials = credentials;
        this.http = http;
        this.timeout = timeout;
        this.plainHttpAllowed = plainHttpAllowed;
    }

    /** Remembers the registry's preferred challenge (Bearer over Basic). */
    void learn(List<AuthChallenge> challenges) {
        challenges.stream().filter(AuthChallenge::isBearer).findFirst()
                .or(() -> challenges.stream().filter(AuthChallenge::isBasic).findFirst())
                .ifPresent(c -> challenge = c);
    }

    boolean required() {
        return challenge != null;
    }

    /** The Authorization header for a request in {@code scope}, or null when the registry wants none. */
    String header(String scope) {
        AuthChallenge c = challenge;
        if (c == null) {
            return null;
        }
        if (c.isBasic()) {
            return credentials.orElseThrow(this::loginNeeded).basicHeader();
        }
        if (c.isBearer()) {
            return "Bearer " + tokens.computeIfAbsent(scope, s -> fetchToken(c, s));
        }
        throw new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + registry + " asks for '" + c.scheme()
                + "' authentication, which pyro does not support; use a registry with token or basic auth");
    }

    /**
     * Called after a 401 on a request sent with {@code sentHeader}: learns the new challenge and
     * says whether a retry can succeed (a new token, or a login not sent before). When not,
     * throws the error that explains the refusal.
     */
    boolean retryAfter401(List<AuthChallenge> challenges, String scope, String sentHeader) {
        AuthChallenge before = challenge;
        learn(challenges);
        AuthChallenge c = challenge;
        if (c == null) {
            throw rejected("HTTP 401 without a challenge");
        }
        if (c.isBearer()) {
            tokens.remove(scope);
            // An "insufficient_scope" challenge names the scope it wants; ask for that one too.
            String wanted = c.param("scope");
            String combined = wanted == null || wanted.equals(scope) ? scope : scope + " " + wanted;
            String token = fetchToken(c, combined);
            tokens.put(scope, token);
            if (sentHeader != null && sentHeader.equals("Bearer " + token) && before != null && before.isBearer()) {
                throw rejected("a fresh token was refused");
            }
            return true;
        }
        if (c.isBasic()) {
            Credentials login = credentials.orElseThrow(this::loginNeeded);
            if (login.basicHeader().equals(sentHeader)) {
                throw rejected("HTTP 401");
            }
            return true;
        }
        return header(scope) != null;
    }

    private String fetchToken(AuthChallenge c, String scope) {
        String realm = c.param("realm");
        if (realm == null || realm.isBlank()) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + registry
                    + " asked for a bearer token but named no realm; it is misconfigured");
        }
        StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
        if (c.param("service") != null) {
            url.append("service=").append(encode(c.param("service"))).append('&');
        }
        for (String s : scope.split(" ")) {
            url.append("scope=").append(encode(s)).append('&');
        }
        URI uri;
        try {
            uri = URI.create(url.substring(0, url.length() - 1));
        } catch (IllegalArgumentException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + registry
                    + " named an invalid token realm '" + realm + "'; it is misconfigured");
        }
        boolean loopbackRealm = uri.getHost() != null
                && (uri.getHost().equals("localhost") || uri.getHost().startsWith("127.") || uri.getHost().equals("[::1]"));
        if ("http".equals(uri.getScheme()) && !plainHttpAllowed && !loopbackRealm) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + registry + " wants tokens from the"
                    + " plain-HTTP realm " + realm + "; refusing to send logins unencrypted (set "
                    + OciSettings.INSECURE + "=1 if you trust this network)");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET();
        credentials.ifPresent(login -> request.header("Authorization", login.basicHeader()));
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw RegistryErrors.unreachable(registry + " (token service)", uri.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while getting a token from " + realm);
        }
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw rejected("the token service answered HTTP " + response.statusCode());
        }
        if (response.statusCode() != 200) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the token service of " + registry + " answered HTTP "
                    + response.statusCode() + " (" + RegistryErrors.explain(response.body()) + "); try again later");
        }
        try {
            JsonNode json = OciJson.MAPPER.readTree(response.body());
            for (String field : List.of("token", "access_token")) {
                JsonNode value = json == null ? null : json.get(field);
                if (value != null && value.isString() && !value.asString().isEmpty()) {
                    return value.asString();
                }
            }
        } catch (JacksonException e) {
            // Reported below.
        }
        throw new PyroException(PyroException.Kind.HOST_SETUP, "the token service of " + registry
                + " answered without a token; it is misconfigured");
    }

    /** The error when a request is still refused after a fresh token or with the login. */
    PyroException refused(String what) {
        if (credentials.isEmpty()) {
            return new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + registry + " refused anonymous "
                    + what + " (HTTP 401); set " + OciSettings.USERNAME + " and " + OciSettings.PASSWORD
                    + " to a login that may do it (or run: docker login " + registry + ")");
        }
        Credentials login = credentials.get();
        return new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + registry + " refused " + what
                + " to '" + login.username() + "' from " + login.source() + " (HTTP 401); that login lacks the right"
                + " for this repository: use one that has it");
    }

    private PyroException loginNeeded() {
        return new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + registry + " requires a login; set "
                + OciSettings.USERNAME + " and " + OciSettings.PASSWORD + " (or run: docker login " + registry + ")");
    }

    private PyroException rejected(String detail) {
        if (credentials.isEmpty()) {
            return new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + registry
                    + " refused anonymous access (" + detail + "); set " + OciSettings.USERNAME + " and "
                    + OciSettings.PASSWORD + " (or run: docker login " + registry + ")");
        }
        Credentials login = credentials.get();
        return new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + registry + " rejected the login of '"
                + login.username() + "' from " + login.source() + " (" + detail + "); check the user name and password");
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
