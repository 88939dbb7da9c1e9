package dev.pyro.mcp.tools;

import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.Map;

/** {@code vm_stop}: shuts a VM down ({@code Vms.stop}). */
public final class VmStopTool extends SdkTool {
    public VmStopTool() {
        super(ToolNames.VM_STOP, "Stop a VM", "Shut a VM down cleanly. Its disk keeps everything the guest wrote; vm_start boots it again. Frees its memory and CPU meanwhile.",
                idOnly("vm_id", vmId()),
                vmSchema(), Hints.IDEMPOTENT);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.vm(context.pyro().vms().stop(args.requiredString("vm_id", "a1b2c3d4")));
    }
}
