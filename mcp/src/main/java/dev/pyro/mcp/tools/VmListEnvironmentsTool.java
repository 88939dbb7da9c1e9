package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;

import dev.pyro.JsonViews;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.PyroTool;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;

/**
 * {@code vm_list_environments}: {@code Pyro.environments()}, the catalog with each environment's
 * local state; the same JSON as {@code pyro env list --json} ({@link JsonViews#environments}).
 */
public final class VmListEnvironmentsTool implements PyroTool {
    private static final McpSchema.Tool DEFINITION = McpSchema.Tool.builder()
            .name(ToolNames.VM_LIST_ENVIRONMENTS)
            .title("List guest environments")
            .description(String.join("\n",
                    "List the guest environments (root images) that vm_run and workspace_create accept, with what each"
                            + " is for and whether it is installed on this machine.",
                    "installed: its image is present and verified, so a VM starts in seconds; otherwise the first use"
                            + " builds or pulls it (minutes, reported as progress). default: the one to use when you"
                            + " have no reason to pick another. capabilities: what was proven with it here.",
                    "Takes no arguments; cheap (boots nothing)."))
            .inputSchema(object(properties(), List.of()))
            .outputSchema(result(properties(
                    "environments", array(result(properties(
                            "name", string("Environment name to pass as `environment`."),
                            "description", nullableString("What it is for."),
                            "version", nullableString("Installed version, else the catalog's."),
                            "default", bool("The environment to use when you have no reason to pick another."),
                            "installed", bool("Its image is present and verified: a VM starts without building."),
                            "source", nullableString("\"built\" here or \"pulled\" from a registry; null when not installed."),
                            "size_bytes", integer("Bytes on disk; 0 when not installed."),
                            "digest", nullableString("sha256 digest of the installed image or pulled manifest."),
                            "reference", nullableString("Where a pulled environment came from."),
                            "state", string("\"ready\", \"missing\", \"stale\" (rebuilt on next use) or \"corrupt\"."),
                            "detail", nullableString("What the state means and how to fix it, when not ready."),
                            "capabilities", result(properties(
                                    "vm_boot", bool("A VM booted with exactly these artifacts."),
                                    "guest_exec", bool("A command ran in such a VM."),
                                    "guest_network", bool("A guest reached the network.")), List.of())),
                            List.of("name", "default", "installed", "state")), "The catalog, sorted by name.")),
                    List.of("environments")))
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
        return JsonViews.environments(context.pyro().environments());
    }
}
