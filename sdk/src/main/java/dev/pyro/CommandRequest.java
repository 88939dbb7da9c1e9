package dev.pyro;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A command to run in a workspace or VM.
 *
 * @param command the argument vector, run directly (no shell)
 * @param timeoutSeconds killed with its whole process tree after this long (default 30)
 * @param cwd working directory in the guest (default {@code /workspace})
 * @param outputLimitBytes bytes of each stream kept in the result (default 64 MiB)
 */
public record CommandRequest(List<String> command, int timeoutSeconds, String cwd, long outputLimitBytes) {
    public CommandRequest {
        command = List.copyOf(Objects.requireNonNull(command, "command"));
        Objects.requireNonNull(cwd, "cwd");
    }

    public static CommandRequest of(String... command) {
        return of(Arrays.asList(command));
    }

    public static CommandRequest of(List<String> command) {
        return new CommandRequest(command, RunRequest.DEFAULT_TIMEOUT_SECONDS, WorkspaceInfo.WORKSPACE_PATH,
                RunRequest.DEFAULT_OUTPUT_LIMIT_BYTES);
    }

    public CommandRequest withTimeoutSeconds(int seconds) {
        return new CommandRequest(command, seconds, cwd, outputLimitBytes);
    }

    public CommandRequest withCwd(String dir) {
        return new CommandRequest(command, timeoutSeconds, dir, outputLimitBytes);
    }

    public CommandRequest withOutputLimitBytes(long limit) {
        return new CommandRequest(command, timeoutSeconds, cwd, limit);
    }
}
