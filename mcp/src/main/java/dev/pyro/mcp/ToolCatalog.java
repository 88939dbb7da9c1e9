package dev.pyro.mcp;

import dev.pyro.HostAccess;
import dev.pyro.mcp.tools.LifecycleTools;
import dev.pyro.mcp.tools.VmCreateTool;
import dev.pyro.mcp.tools.VmExecTool;
import dev.pyro.mcp.tools.VmListEnvironmentsTool;
import dev.pyro.mcp.tools.VmRunTool;
import dev.pyro.mcp.tools.WorkspaceCreateTool;
import dev.pyro.mcp.tools.WorkspaceExecTool;
import dev.pyro.mcp.tools.WorkspaceExportTool;
import dev.pyro.mcp.tools.WorkspaceSyncPushTool;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The tools this build implements. A tool the SDK cannot back yet is not listed here, so it is
 * never served, whatever the profile says; implementing one is a {@link PyroTool} class plus
 * one line below.
 */
public final class ToolCatalog {
    private ToolCatalog() {
    }

    /**
     * Every implemented tool.
     *
     * @param environments the SDK's catalog, quoted in schemas so that a model sees the valid
     *     values without a round trip
     * @param access what the tools may reach on the host, quoted in the descriptions of path
     *     arguments and of allow_host_compat
     */
    public static List<PyroTool> all(List<EnvironmentChoice> environments, HostAccess access) {
        List<PyroTool> tools = new ArrayList<>();
        tools.add(new VmRunTool(environments, access));
        tools.add(new VmListEnvironmentsTool());
        tools.add(new VmCreateTool(environments, access));
        tools.add(new VmExecTool());
        tools.add(new WorkspaceCreateTool(environments, access));
        tools.add(new WorkspaceExecTool());
        tools.add(new WorkspaceSyncPushTool(access));
        tools.add(new WorkspaceExportTool(access));
        tools.addAll(LifecycleTools.all());
        return tools;
    }

    /** The implemented tools a profile allows, in the contract's order ({@link ToolNames#ALL}). */
    public static List<PyroTool> forProfile(Profile profile, List<EnvironmentChoice> environments, HostAccess access) {
        return all(environments, access).stream()
                .filter(t -> profile.allows(t.name()))
                .sorted(Comparator.comparingInt(t -> ToolNames.ALL.indexOf(t.name())))
                .toList();
    }
}
