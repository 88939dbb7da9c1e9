package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.HostAccess;
import dev.pyro.JsonViews;
import dev.pyro.WorkspaceInfo;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.List;
import java.util.Map;

/** {@code workspace_sync_push}: imports more host content into a workspace, atomically ({@code Workspaces.syncPush}). */
public final class WorkspaceSyncPushTool extends SdkTool {
    public WorkspaceSyncPushTool(HostAccess access) {
        super(ToolNames.WORKSPACE_SYNC_PUSH, "Copy host files into a workspace", String.join("\n",
                "Copy a host directory or .tar/.tar.gz/.tgz archive into a running workspace, e.g. after the user"
                        + " changed files on the host. Existing files at the same paths are replaced; others stay.",
                "All or nothing: if anything is refused or fails part way, the workspace is left exactly as it was.",
                "The same safety rules as seeding apply (no escaping paths or links, no devices, size caps)."),
                object(properties(
                        "workspace_id", workspaceId(),
                        "source_path", string("Host directory or archive to copy. " + HostPaths.describe(access)),
                        "dest", string("Where it goes in the guest: /workspace or a directory under it."
                                + " Default /workspace.")),
                        List.of("workspace_id", "source_path")),
                transferSchema(), Hints.ADDITIVE);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        String id = args.requiredString("workspace_id", "a1b2c3d4");
        String dest = args.optionalString("dest", WorkspaceInfo.WORKSPACE_PATH).orElse(WorkspaceInfo.WORKSPACE_PATH);
        return JsonViews.transfer(context.pyro().workspaces().syncPush(id, HostPaths.required(args, "source_path"), dest));
    }
}
