package dev.pyro.internal.oci;

import dev.pyro.PyroException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** Turns registry failures into one-line {@link PyroException}s that name the cause and the fix. */
final class RegistryErrors {
    private RegistryErrors() {
    }

    /**
     * The registry's own explanation from an error body ({@code {"errors":[{"code":...,"message":...}]}}),
     * e.g. {@code MANIFEST_UNKNOWN: manifest unknown}, or a short quote of a non-JSON body.
     */
    static String explain(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        try {
            JsonNode root = OciJson.MAPPER.readTree(body);
            JsonNode errors = root == null ? null : root.get("errors");
            if (errors != null && errors.isArray() && !errors.isEmpty()) {
                JsonNode first = errors.get(0);
                String code = text(first, "code");
                String message = text(first, "message");
                return (code.isEmpty() ? "" : code + ": ") + message;
            }
        } catch (JacksonException e) {
            // Not JSON: quote it below.
        }
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).strip();
        return text.replaceAll("\\s+", " ");
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isString() ? "" : value.asString();
    }

    /** A network failure talking to {@code registry}. */
    static PyroException unreachable(String registry, String url, IOException e) {
        String why;
        if (has(e, UnknownHostException.class)) {
            why = "unknown host";
        } else if (has(e, HttpConnectTimeoutException.class)) {
            why = "connection timed out";
        } else if (has(e, ConnectException.class)) {
            why = "connection refused";
        } else if (has(e, HttpTimeoutException.class)) {
            why = "no answer in time";
        } else if (has(e, SSLException.class)) {
            why = "TLS failed: " + rootMessage(e);
        } else {
            why = rootMessage(e);
        }
        // The URL only helps when it is not the registry itself (a token service, a storage redirect).
        String host = java.net.URI.create(url).getRawAuthority();
        String where = host != null && registry.startsWith(host) ? "" : " at " + url;
        return new PyroException(PyroException.Kind.HOST_SETUP, "cannot reach the registry " + registry + " (" + why
                + where + "); check that the registry runs and the address in PYRO_REGISTRY or the reference"
                + " is right" + (has(e, HttpTimeoutException.class) ? ", or raise " + OciSettings.REQUEST_TIMEOUT : ""), e);
    }

    static boolean has(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return (m == null ? t.getClass().getSimpleName() : m).replaceAll("\\s+", " ");
    }
}
