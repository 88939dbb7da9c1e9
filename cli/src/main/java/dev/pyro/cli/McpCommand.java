package dev.pyro.cli;

import dev.pyro.mcp.McpServe;
import dev.pyro.mcp.OriginPolicy;
import dev.pyro.mcp.Profile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pyro mcp}: the MCP server. The logic lives in the pyro-mcp module; this only parses flags. */
@Command(name = "mcp",
        description = "Serve pyro's tools to MCP clients (Claude Code, Cursor, Codex, OpenCode, ...).",
        subcommands = {McpCommand.Serve.class},
        mixinStandardHelpOptions = true,
        footer = {"", "Example (Claude Code):", "  claude mcp add pyro -- /path/to/pyro mcp serve"})
final class McpCommand implements Runnable {
    @ParentCommand
    PyroCommand parent;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(parent.terminal().outWriter());
    }

    /**
     * {@code pyro mcp serve [--profile P] [--transport stdio|http] [--host H] [--port N]
     * [--allow-path DIR]... [--allow-host-compat] [--token-file FILE] [--allow-origin ORIGIN]...
     * [--allow-net CIDR]...}.
     */
    @Command(name = "serve",
            description = {"Run the MCP server. With stdio (the default) an MCP client launches this command and"
                    + " talks to it over stdin/stdout; it exits when the client closes stdin, deleting the VMs of"
                    + " one-shot runs. With http it serves streamable HTTP at http://HOST:PORT/mcp until stopped.",
                "Tools read and write host paths only under the directory the server was started in and each"
                        + " --allow-path, and never run anything on the host unless --allow-host-compat is given."
                        + " Over http every request needs the bearer token named on stderr.",
                "Logs go to stderr; stdout carries only the protocol."},
            sortOptions = false,
            mixinStandardHelpOptions = true)
    static final class Serve implements Callable<Integer> {
        @Option(names = "--profile", paramLabel = "PROFILE", converter = ProfileConverter.class,
                description = "Which tools to offer: vm-run (one-shot runs only), workspace-core (default: runs and"
                        + " the workspace loop) or workspace-full (everything).")
        Profile profile = Profile.DEFAULT;

        @Option(names = "--transport", paramLabel = "stdio|http", converter = TransportConverter.class,
                description = "stdio (default) or http (streamable HTTP).")
        McpServe.Transport transport = McpServe.Transport.STDIO;

        @Option(names = "--host", paramLabel = "ADDR",
                description = "http only: the address to bind (default: ${DEFAULT-VALUE}; only local clients are"
                        + " accepted unless you bind another address).")
        String host = McpServe.Options.DEFAULT_HOST;

        @Option(names = "--port", paramLabel = "N",
                description = "http only: the TCP port (default: any free port, printed on stderr).")
        int port;

        @Option(names = "--allow-path", paramLabel = "DIR",
                description = "Let tools read and write host paths under DIR too (repeatable). By default only the"
                        + " directory the server was started in is allowed.")
        List<Path> allowPaths = new ArrayList<>();

        @Option(names = "--allow-host-compat",
                description = "Let tool calls that ask for it (allow_host_compat) run commands on this host WITHOUT"
                        + " isolation when no VM can start. Off by default: a model cannot turn it on.")
        boolean allowHostCompat;

        @Option(names = "--token-file", paramLabel = "FILE",
                description = "http only: the bearer token clients must send, from FILE (first line, mode 0600)."
                        + " Default: a new random token in PYRO_HOME/mcp-http-PORT.token, named on stderr.")
        Path tokenFile;

        @Option(names = "--allow-origin", paramLabel = "ORIGIN",
                description = "http only: also accept browser requests from ORIGIN, e.g. http://localhost:6274"
                        + " (repeatable; answered with CORS). Pages of other origins are refused.")
        List<String> allowOrigins = new ArrayList<>();

        @Option(names = "--allow-net", paramLabel = "CIDR", split = ",",
                description = "Let tool calls open this non-public IPv4 range to guests with allow_net, e.g."
                        + " --allow-net 192.168.1.0/24 (repeatable). Without it a model can give guests public"
                        + " addresses only, never your LAN, link-local or cloud metadata addresses.")
        List<String> allowNet = new ArrayList<>();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (port < 0 || port > 65535) {
                throw usage("--port must be between 0 and 65535 (0: any free port); got " + port);
            }
            for (Path dir : allowPaths) {
                if (!Files.isDirectory(dir)) {
                    throw usage("--allow-path " + dir + " is not an existing directory; name a directory");
                }
            }
            for (String origin : allowOrigins) {
                try {
                    OriginPolicy.normalizeOrigin(origin);
                } catch (IllegalArgumentException e) {
                    throw usage("--allow-origin: " + e.getMessage());
                }
            }
            if (transport == McpServe.Transport.STDIO && (tokenFile != null || !allowOrigins.isEmpty())) {
                throw usage((tokenFile != null ? "--token-file" : "--allow-origin") + " is for --transport http;"
                        + " a stdio client is the process that launched the server");
            }
            McpServe.Options options;
            try {
                options = new McpServe.Options(profile, transport, host, port, allowHostCompat, allowPaths,
                        Optional.ofNullable(tokenFile), allowOrigins, allowNet);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            return McpServe.run(options);
        }

        private CommandLine.ParameterException usage(String message) {
            return new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    static final class ProfileConverter implements ITypeConverter<Profile> {
        @Override
        public Profile convert(String value) {
            try {
                return Profile.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class TransportConverter implements ITypeConverter<McpServe.Transport> {
        @Override
        public McpServe.Transport convert(String value) {
            try {
                return McpServe.Transport.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
