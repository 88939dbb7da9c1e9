package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.CommandRequest;
import dev.pyro.CommandResult;
import dev.pyro.JsonViews;
import dev.pyro.RunRequest;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import java.util.List;
import java.util.Map;

/**
 * {@code vm_exec}: one command in a VM, which is started first if needed and deleted afterwards
 * ({@code Vms.exec}, the reference product's semantics).
 */
public final class VmExecTool extends SdkTool {
    public VmExecTool() {
        super(ToolNames.VM_EXEC, "Run a command in a VM, then delete it", String.join("\n",
                "Run one command in a VM made by vm_create (booting it if needed), then DELETE the VM: its disk is"
                        + " gone afterwards. For several commands on the same files use a workspace instead.",
                "The command runs in /workspace. A non-zero exit_code is the command's result, not a tool failure.",
                "Cancelling the call kills the command. Each of stdout and stderr is cut after max_output_bytes"
                        + " (default " + OutputLimit.DEFAULT + "); stdout_cut_bytes and stderr_cut_bytes say how"
                        + " much was cut."),
                object(properties("vm_id", vmId(), "command", commandProperty(), "timeout_seconds", timeoutProperty(),
                        OutputLimit.NAME, OutputLimit.property()), List.of("vm_id", "command")),
                commandSchema("vm_id"), Hints.DESTRUCTIVE);
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        String id = args.requiredString("vm_id", "a1b2c3d4");
        CommandRequest request = CommandRequest.of(args.command("command"))
                .withTimeoutSeconds(args.integer("timeout_seconds", RunRequest.DEFAULT_TIMEOUT_SECONDS, "seconds"))
                .withOutputLimitBytes(OutputLimit.of(args));
        OutputLimit.Counter counter = new OutputLimit.Counter();
        CommandResult r = context.pyro().vms().exec(id, request, counter);
        return counter.annotate(JsonViews.command(r, "vm_id"), r.stdout(), r.stderr());
    }
}
