package dev.pyro.cli;

import dev.pyro.mcp.McpServe;
import dev.pyro.mcp.Profile;
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

    /** {@code pyro mcp serve [--profile P] [--transport stdio|http] [--host H] [--port N] [--allow-net CIDR]}. */
    @Command(name = "serve",
            description = {"Run the MCP server. With stdio (the default) an MCP client launches this command and"
                    + " talks to it over stdin/stdout; it exits when the client closes stdin, deleting the VMs of"
                    + " one-shot runs. With http it serves streamable HTTP at http://HOST:PORT/mcp until stopped.",
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

        @Option(names = "--allow-net", paramLabel = "CIDR", split = ",",
                description = "Let tool calls open this non-public IPv4 range to guests with allow_net, e.g."
                        + " --allow-net 192.168.1.0/24 (repeatable). Without it a model can give guests public"
                        + " addresses only, never your LAN, link-local or cloud metadata addresses.")
        java.util.List<String> allowNet = new java.util.ArrayList<>();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (port < 0 || port > 65535) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--port must be between 0 and 65535 (0: any free port); got " + port);
            }
            McpServe.Options options;
            try {
                options = new McpServe.Options(profile, transport, host, port, allowNet);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            return McpServe.run(options);
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
