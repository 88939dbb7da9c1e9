package dev.pyro.mcp.tools;

import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.Map;

/** {@code workspace_stop}: stops a workspace ({@code Workspaces.stop}). */
public final class WorkspaceStopTool extends SdkTool {
    public WorkspaceStopTool() {
        super(ToolNames.WORKSPACE_STOP, "Stop a workspace", "Shut a workspace down cleanly to free memory and CPU; its files and installed packages are kept, and workspace_start brings it back. Its ttl keeps running.",
                idOnly("workspace_id", workspaceId()),
                workspaceSchema(), Hints.IDEMPOTENT);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.workspace(context.pyro().workspaces().stop(args.requiredString("workspace_id", "a1b2c3d4")));
    }
}
