package dev.pyro.mcp;

import dev.pyro.Pyro;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Objects;

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
     * @param allowNet the non-public IPv4 ranges (CIDR) tool calls may open with allow_net; empty: none
     */
    public record Options(Profile profile, Transport transport, String host, int port, java.util.List<String> allowNet) {
        public static final String DEFAULT_HOST = "127.0.0.1";

        public Options(Profile profile, Transport transport, String host, int port) {
            this(profile, transport, host, port, java.util.List.of());
        }

        public Options {
            Objects.requireNonNull(profile, "profile");
            Objects.requireNonNull(transport, "transport");
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535; got " + port);
            }
            allowNet = new NetworkGate(allowNet).operatorNets(); // IllegalArgumentException naming a bad range
        }
    }

    private McpServe() {
    }

    /** Serves until done; returns the process exit code (0 when the client went away normally). */
    public static int run(Options options) throws Exception {
        StderrLogging.configure(System.getenv("PYRO_DEBUG") != null);
        OutputStream stdout = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024);
        StderrLogging.takeStdout();
        Pyro pyro = Pyro.builder().progress(new ProgressRouter()).build();
        PyroMcpServer server = new PyroMcpServer(pyro, options.profile(), new NetworkGate(options.allowNet()));
        if (options.transport() == Transport.STDIO) {
            Thread hook = new Thread(server::close, "pyro-mcp-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            StdioTransport.serve(server, new FileInputStream(FileDescriptor.in), stdout);
            return 0;
        }
        HttpTransport http = HttpTransport.start(server, options.host(), options.port());
        Runtime.getRuntime().addShutdownHook(new Thread(http::close, "pyro-mcp-shutdown"));
        System.err.println("pyro mcp: serving streamable HTTP at " + http.url() + " (profile " + options.profile()
                + "); stop with Ctrl-C");
        System.err.flush();
        http.join();
        return 0;
    }
}
