package dev.pyro.mcp.tools;

import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.Map;

/** {@code vm_delete}: deletes a VM ({@code Vms.delete}). */
public final class VmDeleteTool extends SdkTool {
    public VmDeleteTool() {
        super(ToolNames.VM_DELETE, "Delete a VM", "Delete a VM made by vm_create and its disk, killing it if it runs. Cannot be undone. Use it when you are done with a VM; VMs past their ttl_seconds are deleted by vm_reap_expired anyway.",
                idOnly("vm_id", vmId()),
                deletedSchema("vm_id"), Hints.DESTRUCTIVE);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        var vms = context.pyro().vms();
        String id = vms.status(args.requiredString("vm_id", "a1b2c3d4")).id();
        vms.delete(id);
        return JsonViews.deleted("vm_id", id);
    }
}
