package dev.pyro.mcp.tools;

import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.Map;

/** {@code vm_start}: boots a VM ({@code Vms.start}). */
public final class VmStartTool extends SdkTool {
    public VmStartTool() {
        super(ToolNames.VM_START, "Start a VM", "Boot a VM created with vm_create, or start a stopped one again (its disk kept what the guest wrote). A no-op when it already runs. Takes seconds under software emulation.",
                idOnly("vm_id", vmId()),
                vmSchema(), Hints.IDEMPOTENT);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.vm(context.pyro().vms().start(args.requiredString("vm_id", "a1b2c3d4")));
    }
}
