package dev.pyro.mcp.tools;

import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.Map;

/** {@code workspace_delete}: deletes a workspace ({@code Workspaces.delete}). */
public final class WorkspaceDeleteTool extends SdkTool {
    public WorkspaceDeleteTool() {
        super(ToolNames.WORKSPACE_DELETE, "Delete a workspace", "Delete a workspace with its disk and journal, stopping it first. Everything in it is lost: export what you need first (workspace_export).",
                idOnly("workspace_id", workspaceId()),
                deletedSchema("workspace_id"), Hints.DESTRUCTIVE);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        var workspaces = context.pyro().workspaces();
        String id = workspaces.status(args.requiredString("workspace_id", "a1b2c3d4")).id();
        workspaces.delete(id);
        return JsonViews.deleted("workspace_id", id);
    }
}
