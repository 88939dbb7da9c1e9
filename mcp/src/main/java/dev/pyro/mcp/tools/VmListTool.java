package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.List;
import java.util.Map;

/** {@code vm_list}: every VM ({@code Vms.list}). */
public final class VmListTool extends SdkTool {
    public VmListTool() {
        super(ToolNames.VM_LIST, "List VMs", "List the VMs made by vm_create on this machine (workspaces are listed by workspace_list), with state, engine, sizes and expiry. Cheap; boots nothing.",
                object(properties(), List.of()),
                listSchema("vms", vmSchema()), Hints.READ_ONLY);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.list("vms", context.pyro().vms().list().stream().map(JsonViews::vm).toList());
    }
}
