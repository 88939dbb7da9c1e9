package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.HostAccess;
import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.EnvironmentChoice;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code vm_create}: records a VM with its own disk ({@code Vms.create}); vm_start boots it. */
public final class VmCreateTool extends SdkTool {
    public VmCreateTool(List<EnvironmentChoice> environments, HostAccess access) {
        super(ToolNames.VM_CREATE, "Create a VM", String.join("\n",
                "Create a VM with its own writable disk, without booting it (state \"created\"); vm_start boots it,"
                        + " vm_exec runs one command in it and then deletes it.",
                "Prefer vm_run for a one-off command and workspace_create for work on files that must persist;"
                        + " use this for explicit control over a VM's lifecycle.",
                "The VM is deleted by a reap after ttl_seconds. It has no network device unless network,"
                        + " allow_host_ports, allow_net or publish ask for one."),
                object(createProperties(environments, access), List.of("environment")), vmSchema(), Hints.ADDITIVE);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        return JsonViews.vm(context.pyro().vms().create(request(args, Optional.empty(), context.network())));
    }
}
