package dev.pyro.mcp;

import dev.pyro.HostAccess;
import dev.pyro.Pyro;
import dev.pyro.PyroException;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code pyro mcp serve}: what the CLI calls after parsing its flags. Builds the SDK facade
 * with a {@link ProgressRouter}, the server for the profile, and runs the transport until the
 * client goes away (stdio) or the process is told to stop (HTTP).
 */
public final class McpServe {
    /** The transports. */
    public enum Transport {
        STDIO, HTTP;

        /** Parses {@code stdio} or {@code http}; the message names the valid values. */
        public static Transport parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown transport '" + name + "'; use stdio or http");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param profile which tools to serve
     * @param transport stdio (one client, the launching one) or streamable HTTP
     * @param host HTTP only: the address to bind, 127.0.0.1 by default
     * @param port HTTP only: the port, 0 for any free one
     * @param allowHostCompat whether tool calls may ask for host-compat (running on the host
     *     without isolation); the operator's decision, never a tool argument's
     * @param allowPaths directories whose contents tools may read and write, besides the
     *     directory the server was started in
     * @param tokenFile HTTP only: the operator's bearer token file; empty: generate one under PYRO_HOME
     * @param allowOrigins HTTP only: browser origins accepted besides the server's own
     * @param allowNet the non-public IPv4 ranges (CIDR) tool calls may open with allow_net; empty: none
     */
    public record Options(Profile profile, Transport transport, String host, int port, boolean allowHostCompat,
            List<Path> allowPaths, Optional<Path> tokenFile, List<String> allowOrigins, List<String> allowNet) {
        public static final String DEFAULT_HOST = "127.0.0.1";

        public Options {
            Objects.requireNonNull(profile, "profile");
            Objects.requireNonNull(transport, "transport");
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(tokenFile, "tokenFile");
            allowPaths = List.copyOf(allowPaths);
            allowOrigins = List.copyOf(allowOrigins);
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535; got " + port);
            }
            allowNet = new NetworkGate(allowNet).operatorNets(); // IllegalArgumentException naming a bad range
        }

        /** The defaults: the given profile and transport, nothing opened beyond the project directory. */
        public Options(Profile profile, Transport transport, String host, int port) {
            this(profile, transport, host, port, false, List.of(), Optional.empty(), List.of(), List.of());
        }
    }

    private McpServe() {
    }

    /**
     * What tool calls may reach on the host: paths under the directory the server was started in
     * (the project) and each {@code --allow-path}; host-compat only with {@code --allow-host-compat}.
     * A start directory that would open too much (the file system root, the home directory or
     * one above it: {@code ~/.ssh} and the like) is not taken as the project: then the first
     * {@code --allow-path} is, and without one the server refuses to start.
     *
     * @param start the directory the server was started in
     * @param home the user's home directory
     * @throws PyroException INVALID_ARGUMENT for an allowed path that is not a directory, or a
     *     start directory that is too broad without {@code --allow-path}
     */
    public static HostAccess hostAccess(Options options, Path start, Path home) {
        Path project = start;
        List<Path> more = options.allowPaths();
        if (tooBroad(start, home)) {
            if (more.isEmpty()) {
                throw PyroException.invalidArgument("pyro mcp serve was started in " + start + ", which would let its"
                        + " tools read and write " + (start.getParent() == null ? "anywhere on this host"
                        : "the whole home directory (~/.ssh included)") + "; start it in the project directory, or"
                        + " name the directories the tools may use with --allow-path DIR");
            }
            project = start.resolve(more.get(0));
            more = more.subList(1, more.size());
        }
        HostAccess.Builder b = HostAccess.confined(project).allowHostCompat(options.allowHostCompat());
        for (Path p : more) {
            b.allowPath(start.resolve(p));
        }
        return b.build();
    }

    private static boolean tooBroad(Path start, Path home) {
        Path s = real(start);
        return s.getParent() == null || real(home).startsWith(s);
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (java.io.IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /** Serves until done; returns the process exit code (0 when the client went away normally). */
    public static int run(Options options) throws Exception {
        StderrLogging.configure(System.getenv("PYRO_DEBUG") != null);
        HostAccess access = hostAccess(options, Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home")));
        OutputStream stdout = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024);
        StderrLogging.takeStdout();
        Pyro pyro = Pyro.builder().progress(new ProgressRouter()).hostAccess(access).build();
        PyroMcpServer server = new PyroMcpServer(pyro, options.profile(), new NetworkGate(options.allowNet()),
                PyroMcpServer.maxCalls(System.getenv()));
        System.err.println("pyro mcp: tools may read and write host paths under " + String.join(", ",
                access.roots().stream().map(Path::toString).toList()) + " (add more with --allow-path DIR); host-compat"
                + (access.hostCompatAllowed() ? " is ALLOWED: tools may run commands on this host without isolation"
                        : " is off (--allow-host-compat enables it)"));
        if (options.transport() == Transport.STDIO) {
            Thread hook = new Thread(server::close, "pyro-mcp-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            StdioTransport.serve(server, new FileInputStream(FileDescriptor.in), stdout);
            return 0;
        }
        HttpTransport http;
        try {
            http = HttpTransport.start(server, new HttpTransport.Settings(options.host(), options.port(),
                    options.tokenFile(), pyro.home(), options.allowOrigins()));
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(http::close, "pyro-mcp-shutdown"));
        System.err.println("pyro mcp: serving streamable HTTP at " + http.url() + " (profile " + options.profile()
                + "); stop with Ctrl-C");
        System.err.println("pyro mcp: clients must send 'Authorization: Bearer TOKEN'; the bearer token is in "
                + http.tokenFile());
        System.err.flush();
        http.join();
        return 0;
    }
}
