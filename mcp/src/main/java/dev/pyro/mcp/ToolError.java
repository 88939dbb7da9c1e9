package dev.pyro.mcp;

import java.util.Optional;

/**
 * A bad tool argument, found before any work started. Becomes a tool error ({@code isError})
 * whose one-line message names the argument and the fix; the server keeps serving.
 */
public final class ToolError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String argument;

    public ToolError(String argument, String message) {
        super(message);
        this.argument = argument;
    }

    /** The argument at fault, when there is one. */
    public Optional<String> argument() {
        return Optional.ofNullable(argument);
    }
}
