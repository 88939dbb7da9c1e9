package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.List;
import java.util.Map;

/** {@code vm_reap_expired}: deletes expired VMs ({@code Vms.reapExpired}). */
public final class VmReapExpiredTool extends SdkTool {
    public VmReapExpiredTool() {
        super(ToolNames.VM_REAP_EXPIRED, "Delete expired VMs", "Delete every VM past its expires_at (its ttl_seconds ran out), with its disk. Returns the ids deleted. Workspaces are not touched.",
                object(properties(), List.of()),
                result(properties("deleted", array(Map.of("type", "string"), "The ids of the VMs deleted."), "count", integer("How many.")), List.of("deleted", "count")), Hints.DESTRUCTIVE);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.reaped(context.pyro().vms().reapExpired());
    }
}
