package dev.pyro.mcp;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * DNS-rebinding and cross-site protection for the HTTP transport: a request is served only when
 * its {@code Host} names this machine's loopback (or the address the server was explicitly
 * bound to) and its {@code Origin}, when present, is this server itself or an origin the
 * operator listed with {@code --allow-origin}. A web page the user visits can otherwise make the
 * browser talk to a local server under a hostile name, or from a page served on another local
 * port (a dev server, a notebook, any local app that renders foreign content).
 */
public final class OriginPolicy {
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");
    private final Set<String> allowedHosts;
    private final Set<String> allowedOrigins;

    /**
     * @param bindHost the address the server listens on; a non-loopback one is allowed as well
     * @param port the port it listens on: pages of this server's own origin are accepted
     * @param extraOrigins origins accepted besides (normalized by {@link #normalizeOrigin})
     */
    public OriginPolicy(String bindHost, int port, List<String> extraOrigins) {
        Set<String> hosts = new HashSet<>(LOOPBACK);
        String b = bindHost.toLowerCase(Locale.ROOT);
        if (!b.equals("0.0.0.0") && !b.equals("::") && !b.equals("[::]")) {
            hosts.add(b.contains(":") && !b.startsWith("[") ? "[" + b + "]" : b);
        }
        this.allowedHosts = Set.copyOf(hosts);
        Set<String> origins = new HashSet<>();
        for (String h : allowedHosts) {
            if (!h.contains(":") || h.startsWith("[")) {
                origins.add("http://" + h + ":" + port);
            }
        }
        for (String o : extraOrigins) {
            origins.add(normalizeOrigin(o));
        }
        this.allowedOrigins = Set.copyOf(origins);
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
        if (origin != null && !isAllowedOrigin(origin.trim())) {
            return Optional.of("Origin '" + origin + "' is not this server nor an origin allowed with --allow-origin");
        }
        return Optional.empty();
    }

    private boolean isAllowedOrigin(String origin) {
        try {
            return allowedOrigins.contains(normalizeOrigin(origin));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The origins accepted, normalized; this server's own come first in no particular order. */
    Set<String> allowedOrigins() {
        return allowedOrigins;
    }

    /**
     * An origin as {@code scheme://host:port}, lower case, with the scheme's default port made
     * explicit, so that {@code http://LocalHost} and {@code http://localhost:80} compare equal.
     *
     * @throws IllegalArgumentException for anything that is not an http(s) origin (a path, a
     *     query, user info, {@code null}), naming the expected form
     */
    public static String normalizeOrigin(String origin) {
        String fix = "an origin is scheme://host[:port], e.g. http://localhost:6274; got '" + origin + "'";
        URI uri;
        try {
            uri = new URI(origin.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(fix);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getRawUserInfo() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty()) || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(fix);
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("http") ? 80 : 443;
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
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
