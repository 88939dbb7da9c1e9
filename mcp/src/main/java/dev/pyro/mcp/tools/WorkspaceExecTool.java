package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.CommandRequest;
import dev.pyro.CommandResult;
import dev.pyro.JsonViews;
import dev.pyro.RunRequest;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.List;
import java.util.Map;

/** {@code workspace_exec}: one command in a running workspace, journaled ({@code Workspaces.exec}). */
public final class WorkspaceExecTool extends SdkTool {
    public WorkspaceExecTool() {
        super(ToolNames.WORKSPACE_EXEC, "Run a command in a workspace", String.join("\n",
                "Run one command in a workspace, in /workspace. Whatever it writes stays for the next commands"
                        + " (files, installed packages); each command gets the next sequence number in the journal"
                        + " (workspace_logs).",
                "`command` is a shell command line (a string, run with `sh -lc`) or an exact argv (an array of"
                        + " strings). Commands do not share a shell: `cd` or `export` in one call do not carry over;"
                        + " chain them with && instead.",
                "A non-zero exit_code is the command's result, not a tool failure. The command and everything it"
                        + " started are killed after timeout_seconds (exit_code 124, timed_out true), or when the"
                        + " call is cancelled. A stopped workspace must be started first (workspace_start).",
                "Each of stdout and stderr is cut after max_output_bytes (default " + OutputLimit.DEFAULT
                        + "); stdout_cut_bytes and stderr_cut_bytes say how much was cut. Redirect big output to a"
                        + " file in /workspace and read the part you need."),
                object(properties("workspace_id", workspaceId(), "command", commandProperty(),
                        "timeout_seconds", timeoutProperty(), OutputLimit.NAME, OutputLimit.property()),
                        List.of("workspace_id", "command")),
                commandSchema("workspace_id"), Hints.ADDITIVE);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        String id = args.requiredString("workspace_id", "a1b2c3d4");
        CommandRequest request = CommandRequest.of(args.command("command"))
                .withTimeoutSeconds(args.integer("timeout_seconds", RunRequest.DEFAULT_TIMEOUT_SECONDS, "seconds"))
                .withOutputLimitBytes(OutputLimit.of(args));
        OutputLimit.Counter counter = new OutputLimit.Counter();
        CommandResult r = context.pyro().workspaces().exec(id, request, counter);
        return counter.annotate(JsonViews.command(r, "workspace_id"), r.stdout(), r.stderr());
    }
}
