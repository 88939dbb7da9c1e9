package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.List;
import java.util.Map;

/** {@code workspace_logs}: the command journal ({@code Workspaces.logs}). */
public final class WorkspaceLogsTool extends SdkTool {
    public WorkspaceLogsTool() {
        super(ToolNames.WORKSPACE_LOGS, "Show a workspace's command journal", "List the commands run in a workspace, oldest first: sequence, command, exit code, duration, timestamps and the tail of their output. Use it to recall what was already tried.",
                idOnly("workspace_id", workspaceId()),
                result(properties("workspace_id", string("The workspace."), "count", integer("How many commands."), "commands", array(Map.of("type", "object"), "The journal entries: sequence, command, cwd, exit_code, timed_out, duration_ms, started_at, ended_at, stdout_tail, stderr_tail.")), List.of("workspace_id", "count", "commands")), Hints.READ_ONLY);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        var workspaces = context.pyro().workspaces();
        String id = workspaces.status(args.requiredString("workspace_id", "a1b2c3d4")).id();
        return JsonViews.journal(id, workspaces.logs(id));
    }
}
