package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;

import dev.pyro.JsonViews;
import dev.pyro.RuntimeStatus;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.PyroTool;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code vm_list_environments}: {@code Pyro.environments()} joined with {@code runtimeStatus(false)}
 * (a cheap check, no re-hashing), so a model knows which environments start at once and which
 * are built on first use.
 */
public final class VmListEnvironmentsTool implements PyroTool {
    /** The environment a run uses when a front-end offers a default (the CLI's examples, the SDK's materialize). */
    static final String DEFAULT_ENVIRONMENT = "debian:12-base";

    private static final McpSchema.Tool DEFINITION = McpSchema.Tool.builder()
            .name(ToolNames.VM_LIST_ENVIRONMENTS)
            .title("List guest environments")
            .description(String.join("\n",
                    "List the guest environments (root images) that vm_run and workspace_create accept, and whether"
                            + " each is installed on this machine.",
                    "installed: its root image is built and intact. ready: installed and the kernel and guest agent"
                            + " are built too, so a VM starts without building anything; otherwise the first use"
                            + " builds what is missing (minutes, reported as progress).",
                    "Takes no arguments; cheap (does not boot anything)."))
            .inputSchema(object(properties(), List.of()))
            .outputSchema(result(properties(
                    "environments", array(result(properties(
                            "name", string("Environment name to pass as `environment`."),
                            "version", nullableString("Version of the environment's recipe (null when unknown)."),
                            "installed", bool("Its root image is built and matches the runtime lock."),
                            "ready", bool("Installed, and the kernel and agent are built: a VM starts at once."),
                            "state", string("\"ready\", \"missing\", \"stale\" (rebuilt on next use) or \"corrupt\"."),
                            "default", bool("The environment to use when you have no reason to pick another."),
                            "detail", nullableString("What the state means and how to fix it, when not ready.")),
                            List.of("name", "installed", "ready", "state")), "The known environments, sorted."),
                    "runtime", result(properties(
                            "kernel", string("State of the guest kernel."),
                            "agent", string("State of the guest agent."),
                            "capabilities", result(properties(
                                    "vm_boot", bool("A VM booted with the current runtime."),
                                    "guest_exec", bool("A command ran in such a VM."),
                                    "guest_network", bool("A guest reached the network.")), List.of())),
                            List.of("kernel", "agent"))),
                    List.of("environments", "runtime")))
            .annotations(McpSchema.ToolAnnotations.builder()
                    .title("List guest environments")
                    .readOnlyHint(true)
                    .destructiveHint(false)
                    .idempotentHint(true)
                    .openWorldHint(false)
                    .build())
            .build();

    @Override
    public String name() {
        return ToolNames.VM_LIST_ENVIRONMENTS;
    }

    @Override
    public McpSchema.Tool definition() {
        return DEFINITION;
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        List<String> names = context.pyro().environments();
        RuntimeStatus status = context.pyro().runtimeStatus(false);
        return view(names, status);
    }

    /** The result for the SDK's environment names and runtime status. */
    static Map<String, Object> view(List<String> names, RuntimeStatus status) {
        Optional<RuntimeStatus.Component> kernel = component(status, "kernel");
        Optional<RuntimeStatus.Component> agent = component(status, "agent");
        boolean baseReady = isReady(kernel) && isReady(agent);
        List<Object> environments = new ArrayList<>();
        for (String name : names) {
            Optional<RuntimeStatus.Component> rootfs = component(status, "rootfs:" + name);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", name);
            e.put("version", rootfs.map(RuntimeStatus.Component::version).orElse(null));
            e.put("installed", isReady(rootfs));
            e.put("ready", baseReady && isReady(rootfs));
            e.put("state", rootfs.map(c -> c.state().wireName()).orElse(RuntimeStatus.State.MISSING.wireName()));
            e.put("default", name.equals(DEFAULT_ENVIRONMENT));
            e.put("detail", rootfs.flatMap(RuntimeStatus.Component::detail).orElse(null));
            environments.add(e);
        }
        Map<String, Object> runtime = new LinkedHashMap<>();
        runtime.put("kernel", kernel.map(c -> c.state().wireName()).orElse(RuntimeStatus.State.MISSING.wireName()));
        runtime.put("agent", agent.map(c -> c.state().wireName()).orElse(RuntimeStatus.State.MISSING.wireName()));
        runtime.put("capabilities", JsonViews.capabilities(status.capabilities()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("environments", environments);
        m.put("runtime", runtime);
        return m;
    }

    private static Optional<RuntimeStatus.Component> component(RuntimeStatus status, String name) {
        return status.components().stream().filter(c -> c.name().equals(name)).findFirst();
    }

    private static boolean isReady(Optional<RuntimeStatus.Component> c) {
        return c.map(x -> x.state() == RuntimeStatus.State.READY).orElse(false);
    }
}
