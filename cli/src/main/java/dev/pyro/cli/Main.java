package dev.pyro.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;

/** Entry point of the {@code pyro} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(execute(Terminal.system(), args));
    }

    /**
     * The subcommands, by name and alias. Building picocli's model of a command costs
     * reflection over all its options, so only the command being run is registered (all of them
     * for help, version and unknown names): every `pyro run` starts ~0.1 s sooner.
     */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

    static {
        SUBCOMMANDS.put("run", RunCommand::new);
        SUBCOMMANDS.put("workspace", WorkspaceCommand::new);
        SUBCOMMANDS.put("vm", VmCommand::new);
        SUBCOMMANDS.put("env", EnvCommand::new);
        SUBCOMMANDS.put("doctor", DoctorCommand::new);
        SUBCOMMANDS.put("runtime", RuntimeCommand::new);
        SUBCOMMANDS.put("mcp", McpCommand::new);
    }

    private static final Map<String, String> ALIASES = Map.of("task", "workspace");

    /** Runs the CLI against the given terminal and returns the process exit code. */
    static int execute(Terminal terminal, String... args) {
        CommandLine cli = new CommandLine(new PyroCommand(terminal));
        String first = args.length > 0 ? ALIASES.getOrDefault(args[0], args[0]) : "";
        if (SUBCOMMANDS.containsKey(first)) {
            cli.addSubcommand(first, SUBCOMMANDS.get(first).get());
        } else {
            SUBCOMMANDS.forEach((name, command) -> cli.addSubcommand(name, command.get()));
        }
        cli.setOut(terminal.outWriter());
        cli.setErr(terminal.errWriter());
        ErrorHandler errors = new ErrorHandler(terminal);
        cli.setParameterExceptionHandler(errors);
        cli.setExecutionExceptionHandler(errors);
        return cli.execute(args);
    }
}
