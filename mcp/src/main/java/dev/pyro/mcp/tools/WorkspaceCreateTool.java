package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.HostAccess;
import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.EnvironmentChoice;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolError;
import dev.pyro.mcp.ToolNames;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code workspace_create}: creates and starts a persistent workspace, optionally seeded from
 * a host directory or tar archive ({@code Workspaces.create}). {@code source_path} is the
 * reference product's earlier name for {@code seed_path}.
 */
public final class WorkspaceCreateTool extends SdkTool {
    public WorkspaceCreateTool(List<EnvironmentChoice> environments, HostAccess access) {
        super(ToolNames.WORKSPACE_CREATE, "Create a workspace", String.join("\n",
                "Create and start a persistent, isolated Linux machine whose /workspace holds a copy of the user's"
                        + " files (seed_path: a host directory or a .tar/.tar.gz/.tgz archive) or starts empty.",
                "Use it to inspect a project, install dependencies, build, test and retry: then call workspace_exec"
                        + " as often as needed; files and installed packages persist until workspace_delete or"
                        + " ttl_seconds. The host's files are never changed: bring results back with workspace_export.",
                "Returns workspace_id, which every other workspace_* tool takes. Booting takes seconds under"
                        + " software emulation; seeding large trees is reported as progress.",
                "By default the guest has no network device at all. network: true gives it outbound access (git"
                        + " clone, pip install: public addresses only); allow_host_ports [8000] lets it reach that port of"
                        + " the host's loopback as host.pyro.internal:8000; publish [\"8080:8000\"] serves a guest port on the host's 127.0.0.1"
                        + " (vm_network_info shows the addresses and ports)."),
                object(inputProperties(environments, access), List.of("environment")), workspaceSchema(), Hints.ADDITIVE);
    }

    private static Map<String, Object> inputProperties(List<EnvironmentChoice> environments, HostAccess access) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("environment", createProperties(environments, access).get("environment"));
        p.put("seed_path", string("Host directory or .tar, .tar.gz or .tgz archive copied into /workspace"
                + " (modes, symlinks, empty directories kept; absolute or escaping links refused). Omit for an empty"
                + " /workspace. " + HostPaths.describe(access)));
        p.put("source_path", string("Same as seed_path (the older name); give one of the two."));
        Map<String, Object> rest = new LinkedHashMap<>(createProperties(environments, access));
        rest.remove("environment");
        p.putAll(rest);
        return p;
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        Optional<Path> seed = HostPaths.optional(args, "seed_path");
        Optional<Path> alias = HostPaths.optional(args, "source_path");
        if (seed.isPresent() && alias.isPresent() && !seed.equals(alias)) {
            throw new ToolError("source_path", "seed_path and source_path name different paths; source_path is only"
                    + " the older name of seed_path, so give just seed_path");
        }
        return JsonViews.workspace(context.pyro().workspaces().create(request(args, seed.or(() -> alias), context.network())));
    }
}
