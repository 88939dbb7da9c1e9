package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.List;
import java.util.Map;

/** {@code workspace_list}: every workspace ({@code Workspaces.list}). */
public final class WorkspaceListTool extends SdkTool {
    public WorkspaceListTool() {
        super(ToolNames.WORKSPACE_LIST, "List workspaces", "List the workspaces of this machine with their state, seed, command count and expiry, e.g. to find one created earlier. Cheap; boots nothing.",
                object(properties(), List.of()),
                listSchema("workspaces", workspaceSchema()), Hints.READ_ONLY);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.list("workspaces",
                context.pyro().workspaces().list().stream().map(JsonViews::workspace).toList());
    }
}
