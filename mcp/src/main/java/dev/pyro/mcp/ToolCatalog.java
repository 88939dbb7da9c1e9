package dev.pyro.mcp;

import dev.pyro.mcp.tools.VmListEnvironmentsTool;
import dev.pyro.mcp.tools.VmRunTool;
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
        // Next, as the SDK gains them: vm_create, vm_start, vm_exec, vm_stop, vm_delete, vm_status,
        // vm_list, vm_reap_expired, workspace_create, workspace_exec, workspace_sync_push,
        // workspace_export, workspace_status, workspace_logs, workspace_list, workspace_stop,
        // workspace_start, workspace_delete.
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
