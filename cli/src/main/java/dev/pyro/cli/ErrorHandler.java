package dev.pyro.cli;

import dev.pyro.PyroException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns every failure into one line on stderr and an exit code; never a stack trace (set
 * PYRO_DEBUG=1 to get one for a bug report).
 */
final class ErrorHandler implements IParameterExceptionHandler, IExecutionExceptionHandler {
    private final Terminal terminal;

    ErrorHandler(Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String hint = cmd.getCommandSpec().userObject() instanceof RunCommand
                && ex instanceof CommandLine.UnmatchedArgumentException
                ? "; put the command after --, as in: pyro run ENV -- COMMAND [ARGS...]"
                : "; see: " + cmd.getCommandSpec().qualifiedName() + " --help";
        terminal.error(oneLine(ex.getMessage()) + hint);
        return ExitCodes.USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        boolean run = cmd.getCommandSpec().userObject() instanceof RunCommand;
        if (ex instanceof PyroException p) {
            terminal.error(oneLine(p.getMessage()));
            if (p.kind() == PyroException.Kind.INVALID_ARGUMENT) {
                return ExitCodes.USAGE;
            }
        } else {
            terminal.error("internal error: " + oneLine(String.valueOf(ex))
                    + "; please report it with the output of PYRO_DEBUG=1 and the command you ran");
        }
        if (System.getenv("PYRO_DEBUG") != null) {
            ex.printStackTrace(terminal.errPrintStream());
        }
        return run ? ExitCodes.RUN_FAILURE : ExitCodes.FAILURE;
    }

    static String oneLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
