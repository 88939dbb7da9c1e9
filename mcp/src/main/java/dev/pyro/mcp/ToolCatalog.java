package dev.pyro.mcp;

import dev.pyro.mcp.tools.VmCreateTool;
import dev.pyro.mcp.tools.VmDeleteTool;
import dev.pyro.mcp.tools.VmExecTool;
import dev.pyro.mcp.tools.VmListEnvironmentsTool;
import dev.pyro.mcp.tools.VmListTool;
import dev.pyro.mcp.tools.VmReapExpiredTool;
import dev.pyro.mcp.tools.VmRunTool;
import dev.pyro.mcp.tools.VmStartTool;
import dev.pyro.mcp.tools.VmStatusTool;
import dev.pyro.mcp.tools.VmStopTool;
import dev.pyro.mcp.tools.WorkspaceCreateTool;
import dev.pyro.mcp.tools.WorkspaceDeleteTool;
import dev.pyro.mcp.tools.WorkspaceExecTool;
import dev.pyro.mcp.tools.WorkspaceExportTool;
import dev.pyro.mcp.tools.WorkspaceListTool;
import dev.pyro.mcp.tools.WorkspaceLogsTool;
import dev.pyro.mcp.tools.WorkspaceStartTool;
import dev.pyro.mcp.tools.WorkspaceStatusTool;
import dev.pyro.mcp.tools.WorkspaceStopTool;
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
     */
    public static List<PyroTool> all(List<EnvironmentChoice> environments) {
        List<PyroTool> tools = new ArrayList<>();
        tools.add(new VmRunTool(environments));
        tools.add(new VmListEnvironmentsTool());
        tools.add(new VmCreateTool(environments));
        tools.add(new VmStartTool());
        tools.add(new VmExecTool());
        tools.add(new VmStopTool());
        tools.add(new VmDeleteTool());
        tools.add(new VmStatusTool());
        tools.add(new VmListTool());
        tools.add(new VmReapExpiredTool());
        tools.add(new WorkspaceCreateTool(environments));
        tools.add(new WorkspaceExecTool());
        tools.add(new WorkspaceSyncPushTool());
        tools.add(new WorkspaceExportTool());
        tools.add(new WorkspaceStatusTool());
        tools.add(new WorkspaceLogsTool());
        tools.add(new WorkspaceListTool());
        tools.add(new WorkspaceStopTool());
        tools.add(new WorkspaceStartTool());
        tools.add(new WorkspaceDeleteTool());
        return tools;
    }

    /** The implemented tools a profile allows, in the contract's order ({@link ToolNames#ALL}). */
    public static List<PyroTool> forProfile(Profile profile, List<EnvironmentChoice> environments) {
        return all(environments).stream()
                .filter(t -> profile.allows(t.name()))
                .sorted(Comparator.comparingInt(t -> ToolNames.ALL.indexOf(t.name())))
                .toList();
    }
}
