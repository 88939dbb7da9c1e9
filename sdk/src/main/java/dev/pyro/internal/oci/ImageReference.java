package dev.pyro.internal.oci;

import dev.pyro.PyroException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A reference to content in an OCI registry, {@code REGISTRY/REPOSITORY[:TAG][@sha256:HEX]},
 * following the distribution reference grammar. Unlike Docker, the registry is never implied:
 * pyro only talks to the registry the user names (or {@code PYRO_REGISTRY}).
 *
 * @param registry {@code host[:port]} as written (lower case), e.g. {@code 127.0.0.1:5000}
 * @param repository the path, e.g. {@code pyro/debian}
 * @param tag the tag, or null when only a digest was given
 * @param digest {@code sha256:<hex>} pinning the manifest, or null
 */
public record ImageReference(String registry, String repository, String tag, String digest) {
    private static final Pattern HOST = Pattern.compile(
            "(\\[[0-9a-fA-F:.]+]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)"
                    + "(:[0-9]{1,5})?");
    private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final String EXAMPLE = "registry.example:5000/pyro/debian:12";

    public ImageReference {
        if (tag == null && digest == null) {
            tag = "latest";
        }
    }

    /**
     * Parses {@code REGISTRY/REPOSITORY[:TAG][@sha256:HEX]}.
     *
     * @throws PyroException INVALID_ARGUMENT naming what is wrong and showing the expected form
     */
    public static ImageReference parse(String text) {
        if (text == null || text.isBlank()) {
            throw invalid(String.valueOf(text), "it is empty");
        }
        String rest = text.strip();
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!Digests.isSha256(digest)) {
                throw invalid(text, "the digest must be sha256: followed by 64 lower-case hex digits");
            }
        }
        int slash = rest.indexOf('/');
        if (slash <= 0) {
            throw invalid(text, "it names no registry");
        }
        String registry = rest.substring(0, slash);
        if (!looksLikeRegistry(registry)) {
            throw invalid(text, "'" + registry + "' is not a registry host (a registry has a dot or a port,"
                    + " or is localhost)");
        }
        if (!HOST.matcher(registry).matches() || !validPort(registry)) {
            throw invalid(text, "'" + registry + "' is not a valid host[:port]");
        }
        String path = rest.substring(slash + 1);
        String tag = null;
        int colon = path.lastIndexOf(':');
        if (colon >= 0) {
            tag = path.substring(colon + 1);
            path = path.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw invalid(text, "'" + tag + "' is not a valid tag (letters, digits, _ . -, at most 128)");
            }
        }
        if (path.isEmpty()) {
            throw invalid(text, "the repository is empty");
        }
        for (String component : path.split("/", -1)) {
            if (!PATH_COMPONENT.matcher(component).matches()) {
                throw invalid(text, "'" + path + "' is not a valid repository (lower-case letters, digits and"
                        + " . _ - between them, components separated by /)");
            }
        }
        if (path.length() + registry.length() + 1 > 255) {
            throw invalid(text, "the name is longer than 255 characters");
        }
        return new ImageReference(registry.toLowerCase(Locale.ROOT), path, tag, digest);
    }

    /**
     * The reference of a catalog environment under a registry prefix: {@code debian:12-base}
     * under {@code registry.example:5000/pyro} is {@code registry.example:5000/pyro/debian:12-base}
     * (an environment without a colon gets the tag {@code latest}).
     */
    public static ImageReference forEnvironment(String prefix, String environment, String digest) {
        String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        return parse(p + "/" + environment + (digest == null ? "" : "@" + digest));
    }

    /** Whether {@code text} could only be a registry host: it has a dot or a port, or is localhost. */
    static boolean looksLikeRegistry(String text) {
        return text.contains(".") || text.contains(":") || text.equalsIgnoreCase("localhost");
    }

    /** The host without the port (IPv6 brackets kept). */
    public String host() {
        if (registry.startsWith("[")) {
            return registry.substring(0, registry.indexOf(']') + 1);
        }
        int colon = registry.indexOf(':');
        return colon < 0 ? registry : registry.substring(0, colon);
    }

    /** Where the registry API lives: Docker Hub's {@code docker.io} is served by {@code registry-1.docker.io}. */
    public String apiHost() {
        return registry.equals("docker.io") || registry.equals("index.docker.io") ? "registry-1.docker.io" : registry;
    }

    /** Whether the host is a loopback address (127.0.0.0/8, ::1, localhost): plain HTTP is allowed there. */
    public boolean isLoopback() {
        String h = host();
        return h.equals("localhost") || h.equals("[::1]") || h.matches("127\\.[0-9]+\\.[0-9]+\\.[0-9]+");
    }

    /** What to ask the manifests endpoint for: the digest when pinned, else the tag. */
    public String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** This reference pinned to {@code newDigest}. */
    public ImageReference withDigest(String newDigest) {
        return new ImageReference(registry, repository, tag, newDigest);
    }

    @Override
    public String toString() {
        return registry + "/" + repository + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }

    private static boolean validPort(String registry) {
        int colon = registry.lastIndexOf(':');
        if (colon < 0 || registry.endsWith("]")) {
            return true;
        }
        int port = Integer.parseInt(registry.substring(colon + 1));
        return port >= 1 && port <= 65535;
    }

    private static PyroException invalid(String text, String why) {
        return PyroException.invalidArgument("'" + text + "' is not a valid OCI reference: " + why
                + "; write it as REGISTRY/REPOSITORY:TAG[@sha256:DIGEST], e.g. " + EXAMPLE);
    }
}
