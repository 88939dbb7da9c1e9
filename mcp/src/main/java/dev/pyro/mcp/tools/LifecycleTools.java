package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;
import static dev.pyro.mcp.tools.MachineSchemas.*;

import dev.pyro.JsonViews;
import dev.pyro.Pyro;
import dev.pyro.mcp.PyroTool;
import dev.pyro.mcp.ToolNames;
import dev.pyro.mcp.tools.SdkTool.Hints;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The lifecycle tools that are one SDK call on an id (or on nothing): their names, descriptions
 * for a model, schemas and calls, as a table. Results are the CLI's {@code --json} views.
 */
public final class LifecycleTools {
    private LifecycleTools() {
    }

    public static List<PyroTool> all() {
        return List.of(
                vm(ToolNames.VM_START, "Start a VM", "Boot a VM created with vm_create, or start a stopped one again"
                        + " (its disk kept what the guest wrote). A no-op when it already runs. Takes seconds under"
                        + " software emulation.", vmSchema(), Hints.IDEMPOTENT,
                        (pyro, id) -> JsonViews.vm(pyro.vms().start(id))),
                vm(ToolNames.VM_STOP, "Stop a VM", "Shut a VM down cleanly. Its disk keeps everything the guest wrote;"
                        + " vm_start boots it again. Frees its memory and CPU meanwhile.", vmSchema(), Hints.IDEMPOTENT,
                        (pyro, id) -> JsonViews.vm(pyro.vms().stop(id))),
                vm(ToolNames.VM_DELETE, "Delete a VM", "Delete a VM made by vm_create and its disk, killing it if it"
                        + " runs. Cannot be undone. Use it when you are done with a VM; VMs past their ttl_seconds are"
                        + " deleted by vm_reap_expired anyway.", deletedSchema("vm_id"), Hints.DESTRUCTIVE,
                        (pyro, id) -> JsonViews.deleted("vm_id", pyro.vms().delete(id))),
                vm(ToolNames.VM_STATUS, "Show a VM", "Show one VM: state, engine, accel, execution mode, VMM pid,"
                        + " sizes, created_at and expires_at. A VM whose VMM died shows as failed with the reason in"
                        + " last_error, never as started. Cheap.", vmSchema(), Hints.READ_ONLY,
                        (pyro, id) -> JsonViews.vm(pyro.vms().status(id))),
                vm(ToolNames.VM_NETWORK_INFO, "Show a VM's network", "Show the network of a VM or of a workspace (pass"
                        + " either id): network_policy (\"off\" means no network device), backend, guest_address,"
                        + " gateway, dns, the host loopback ports reachable as host.pyro.internal (allow_host_ports),"
                        + " the private ranges opened (allow_net) and published_ports (127.0.0.1:host_port on the host -> guest_port). Cheap.",
                        networkInfoSchema(), Hints.READ_ONLY,
                        (pyro, id) -> JsonViews.networkInfo(pyro.vms().networkInfo(id))),
                noArguments(ToolNames.VM_LIST, "List VMs", "List the VMs made by vm_create on this machine (workspaces"
                        + " are listed by workspace_list), with state, engine, sizes and expiry. Cheap; boots nothing.",
                        listSchema("vms", vmSchema()), Hints.READ_ONLY,
                        pyro -> JsonViews.list("vms", pyro.vms().list().stream().map(JsonViews::vm).toList())),
                noArguments(ToolNames.VM_REAP_EXPIRED, "Delete expired VMs", "Delete every VM past its expires_at (its"
                        + " ttl_seconds ran out), with its disk. Returns the ids deleted. Workspaces are not touched.",
                        result(properties("deleted", array(Map.of("type", "string"), "The ids of the VMs deleted."),
                                "count", integer("How many.")), List.of("deleted", "count")), Hints.DESTRUCTIVE,
                        pyro -> JsonViews.reaped(pyro.vms().reapExpired())),
                workspace(ToolNames.WORKSPACE_STATUS, "Show a workspace", "Show one workspace: state, engine, how it"
                        + " was seeded (workspace_seed), how many commands ran and the last one, created_at and"
                        + " expires_at. Cheap.", workspaceSchema(), Hints.READ_ONLY,
                        (pyro, id) -> JsonViews.workspace(pyro.workspaces().status(id))),
                workspace(ToolNames.WORKSPACE_LOGS, "Show a workspace's command journal", "List the commands run in a"
                        + " workspace, oldest first: sequence, command, exit code, duration, timestamps and the tail of"
                        + " their output. Use it to recall what was already tried.",
                        result(properties("workspace_id", string("The workspace."),
                                "count", integer("How many commands."),
                                "commands", array(Map.of("type", "object"), "The journal entries: sequence, command,"
                                        + " cwd, exit_code, timed_out, duration_ms, started_at, ended_at, stdout_tail,"
                                        + " stderr_tail.")), List.of("workspace_id", "count", "commands")),
                        Hints.READ_ONLY,
                        (pyro, id) -> {
                            String resolved = pyro.workspaces().status(id).id();
                            return JsonViews.journal(resolved, pyro.workspaces().logs(resolved));
                        }),
                noArguments(ToolNames.WORKSPACE_LIST, "List workspaces", "List the workspaces of this machine with"
                        + " their state, seed, command count and expiry, e.g. to find one created earlier. Cheap; boots"
                        + " nothing.", listSchema("workspaces", workspaceSchema()), Hints.READ_ONLY,
                        pyro -> JsonViews.list("workspaces",
                                pyro.workspaces().list().stream().map(JsonViews::workspace).toList())),
                workspace(ToolNames.WORKSPACE_STOP, "Stop a workspace", "Shut a workspace down cleanly to free memory"
                        + " and CPU; its files and installed packages are kept, and workspace_start brings it back. Its"
                        + " ttl keeps running.", workspaceSchema(), Hints.IDEMPOTENT,
                        (pyro, id) -> JsonViews.workspace(pyro.workspaces().stop(id))),
                workspace(ToolNames.WORKSPACE_START, "Start a workspace", "Start a stopped (or failed) workspace again:"
                        + " everything written before the stop is still there, in /workspace and elsewhere (installed"
                        + " packages too). A no-op when it runs.", workspaceSchema(), Hints.IDEMPOTENT,
                        (pyro, id) -> JsonViews.workspace(pyro.workspaces().start(id))),
                workspace(ToolNames.WORKSPACE_DELETE, "Delete a workspace", "Delete a workspace with its disk and"
                        + " journal, stopping it first. Everything in it is lost: export what you need first"
                        + " (workspace_export).", deletedSchema("workspace_id"), Hints.DESTRUCTIVE,
                        (pyro, id) -> JsonViews.deleted("workspace_id", pyro.workspaces().delete(id))));
    }

    private static PyroTool vm(String name, String title, String description, Map<String, Object> output,
            Hints hints, BiFunction<Pyro, String, Map<String, Object>> call) {
        return new SimpleTool(name, title, description, "vm_id", idOnly("vm_id", vmId()), output, hints, call);
    }

    private static PyroTool workspace(String name, String title, String description, Map<String, Object> output,
            Hints hints, BiFunction<Pyro, String, Map<String, Object>> call) {
        return new SimpleTool(name, title, description, "workspace_id", idOnly("workspace_id", workspaceId()), output,
                hints, call);
    }

    private static PyroTool noArguments(String name, String title, String description, Map<String, Object> output,
            Hints hints, Function<Pyro, Map<String, Object>> call) {
        return new SimpleTool(name, title, description, null, object(properties(), List.of()), output, hints,
                (pyro, id) -> call.apply(pyro));
    }
}
