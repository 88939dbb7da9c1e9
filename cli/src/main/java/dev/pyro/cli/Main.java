package dev.pyro.cli;

import picocli.CommandLine;

/** Entry point of the {@code pyro} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(execute(Terminal.system(), args));
    }

    /** Runs the CLI against the given terminal and returns the process exit code. */
    static int execute(Terminal terminal, String... args) {
        CommandLine cli = new CommandLine(new PyroCommand(terminal));
        cli.setOut(terminal.outWriter());
        cli.setErr(terminal.errWriter());
        ErrorHandler errors = new ErrorHandler(terminal);
        cli.setParameterExceptionHandler(errors);
        cli.setExecutionExceptionHandler(errors);
        return cli.execute(args);
    }
}
