package dev.pyro.mcp;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * DNS-rebinding protection for the HTTP transport: a request is served only when its
 * {@code Host} names this machine's loopback (or the address the server was explicitly bound
 * to) and its {@code Origin}, when present, is a page on such a host. A web page the user
 * visits can otherwise make the browser talk to a local server under a hostile name.
 */
public final class OriginPolicy {
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");
    private final Set<String> allowedHosts;

    /** @param bindHost the address the server listens on; a non-loopback one is allowed as well */
    public OriginPolicy(String bindHost) {
        Set<String> hosts = new HashSet<>(LOOPBACK);
        String b = bindHost.toLowerCase(Locale.ROOT);
        if (!b.equals("0.0.0.0") && !b.equals("::") && !b.equals("[::]")) {
            hosts.add(b.contains(":") && !b.startsWith("[") ? "[" + b + "]" : b);
        }
        this.allowedHosts = Set.copyOf(hosts);
    }

    /**
     * Why a request must be refused, or empty when it may be served.
     *
     * @param host the Host header (null when absent)
     * @param origin the Origin header (null when absent)
     */
    public Optional<String> refusal(String host, String origin) {
        if (host == null || host.isBlank()) {
            return Optional.of("the request has no Host header");
        }
        if (!allowedHosts.contains(hostName(host))) {
            return Optional.of("Host '" + host + "' is not this server's local address");
        }
        if (origin != null) {
            if (!isAllowedOrigin(origin.trim())) {
                return Optional.of("Origin '" + origin + "' is not a local page");
            }
        }
        return Optional.empty();
    }

    private boolean isAllowedOrigin(String origin) {
        try {
            URI uri = new URI(origin);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
                return false;
            }
            String h = uri.getHost();
            if (h == null) {
                return false;
            }
            h = h.toLowerCase(Locale.ROOT);
            return allowedHosts.contains(h) || allowedHosts.contains("[" + h + "]");
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** The host part of a Host header value, lower case, without the port; IPv6 keeps its brackets. */
    static String hostName(String hostHeader) {
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && h.indexOf(':', colon + 1) < 0) {
            return h.substring(0, colon);
        }
        return h;
    }
}
