package dev.pyro.mcp.tools;

import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.Map;

/** {@code workspace_start}: starts a workspace again ({@code Workspaces.start}). */
public final class WorkspaceStartTool extends SdkTool {
    public WorkspaceStartTool() {
        super(ToolNames.WORKSPACE_START, "Start a workspace", "Start a stopped (or failed) workspace again: everything written before the stop is still there, in /workspace and elsewhere (installed packages too). A no-op when it runs.",
                idOnly("workspace_id", workspaceId()),
                workspaceSchema(), Hints.IDEMPOTENT);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.workspace(context.pyro().workspaces().start(args.requiredString("workspace_id", "a1b2c3d4")));
    }
}
