package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.HostAccess;
import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.List;
import java.util.Map;

/** {@code workspace_export}: copies a file or directory from a workspace to the host ({@code Workspaces.export}). */
public final class WorkspaceExportTool extends SdkTool {
    public WorkspaceExportTool(HostAccess access) {
        super(ToolNames.WORKSPACE_EXPORT, "Copy a file or directory out of a workspace", String.join("\n",
                "Copy one file or directory from a workspace's /workspace to a new host path, e.g. a build"
                        + " artifact, a report or a patched source tree for the user to review.",
                "output_path must not exist yet (nothing on the host is overwritten, and nothing is written through a"
                        + " symlink); its parent directory must."),
                object(properties(
                        "workspace_id", workspaceId(),
                        "path", string("What to copy: a path under /workspace, absolute or relative to it,"
                                + " e.g. \"dist/app.tar.gz\"."),
                        "output_path", string("New host path to write. " + HostPaths.describe(access))),
                        List.of("workspace_id", "path", "output_path")),
                transferSchema(), Hints.ADDITIVE);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        String id = args.requiredString("workspace_id", "a1b2c3d4");
        String path = args.requiredString("path", "dist/app.tar.gz");
        return JsonViews.transfer(context.pyro().workspaces().export(id, path, HostPaths.required(args, "output_path")));
    }
}
