package dev.pyro.mcp.tools;

import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.Map;

/** {@code workspace_status}: one workspace ({@code Workspaces.status}). */
public final class WorkspaceStatusTool extends SdkTool {
    public WorkspaceStatusTool() {
        super(ToolNames.WORKSPACE_STATUS, "Show a workspace", "Show one workspace: state, engine, how it was seeded (workspace_seed), how many commands ran and the last one, created_at and expires_at. Cheap.",
                idOnly("workspace_id", workspaceId()),
                workspaceSchema(), Hints.READ_ONLY);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.workspace(context.pyro().workspaces().status(args.requiredString("workspace_id", "a1b2c3d4")));
    }
}
