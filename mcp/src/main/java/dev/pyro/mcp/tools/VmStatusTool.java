package dev.pyro.mcp.tools;

import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.Map;

/** {@code vm_status}: one VM ({@code Vms.status}). */
public final class VmStatusTool extends SdkTool {
    public VmStatusTool() {
        super(ToolNames.VM_STATUS, "Show a VM", "Show one VM: state, engine, accel, execution mode, VMM pid, sizes, created_at and expires_at. A VM whose VMM died shows as failed with the reason in last_error, never as started. Cheap.",
                idOnly("vm_id", vmId()),
                vmSchema(), Hints.READ_ONLY);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.vm(context.pyro().vms().status(args.requiredString("vm_id", "a1b2c3d4")));
    }
}
