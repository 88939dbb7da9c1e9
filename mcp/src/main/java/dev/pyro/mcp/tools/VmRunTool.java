package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;

import dev.pyro.HostAccess;
import dev.pyro.JsonViews;
import dev.pyro.RunRequest;
import dev.pyro.RunResult;
import dev.pyro.Pyro;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.EnvironmentChoice;
import dev.pyro.mcp.PyroTool;
import dev.pyro.mcp.ToolContext;
import dev.pyro.mcp.ToolNames;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;

/** {@code vm_run}: {@code Pyro.run} — one command in a fresh microVM that is deleted afterwards. */
public final class VmRunTool implements PyroTool {
    private final McpSchema.Tool definition;

    /** @param environments the environments to mention in the schema (the SDK's catalog) */
    public VmRunTool(List<EnvironmentChoice> environments, HostAccess access) {
        this.definition = McpSchema.Tool.builder()
                .name(ToolNames.VM_RUN)
                .title("Run a command in a fresh microVM")
                .description(DESCRIPTION)
                .inputSchema(inputSchema(environments, access))
                .outputSchema(RunResultSchema.SCHEMA)
                .annotations(McpSchema.ToolAnnotations.builder()
                        .title("Run a command in a fresh microVM")
                        .readOnlyHint(false)
                        .destructiveHint(false)
                        .idempotentHint(false)
                        .openWorldHint(false)
                        .build())
                .build();
    }

    static final String DESCRIPTION = String.join("\n",
            "Run one command in a fresh, isolated Linux microVM and delete the VM afterwards.",
            "Use it to execute anything without touching the user's machine: try a command, check"
                    + " what a tool prints, build or test a snippet, inspect a clean Debian system.",
            "Every call starts from a clean machine: nothing persists between calls and the working directory"
                    + " is /workspace (empty). By default the guest has no network device at all; pass network: true"
                    + " for outbound access to public addresses (e.g. curl, git clone, pip install), allow_host_ports:"
                    + " [8000] to reach that port of the host's loopback as host.pyro.internal:8000.",
            "`command` is either a shell command line (a string, run with `sh -lc`, so pipes, &&, globs"
                    + " and variables work) or an exact argv (an array of strings, run without a shell).",
            "Returns exit_code, stdout and stderr (UTF-8 text), timed_out and timings (ms). A non-zero"
                    + " exit_code is a normal result of the command, not a failure of the tool. Each of stdout and"
                    + " stderr is cut after max_output_bytes (default " + OutputLimit.DEFAULT + "); stdout_cut_bytes"
                    + " and stderr_cut_bytes say how much was cut.",
            "The command and everything it started are killed after timeout_seconds (then exit_code is 124"
                    + " and timed_out is true). A VM boots in well under a second with KVM and in a few seconds"
                    + " under software emulation; the very first run on a machine builds the guest runtime"
                    + " (minutes, reported as progress).");

    private static Map<String, Object> inputSchema(List<EnvironmentChoice> environments, HostAccess access) {
        String known = environments.isEmpty() ? "" : " Available: " + EnvironmentChoice.describe(environments) + ".";
        Map<String, Object> command = new java.util.LinkedHashMap<>();
        command.put("description", "The command. A string is a shell command line run with `sh -lc` in the guest,"
                + " e.g. \"uname -a && ls /etc | head\". An array of strings is an exact argv run without a shell,"
                + " e.g. [\"python3\", \"-c\", \"print(1)\"].");
        command.put("anyOf", List.of(
                Map.of("type", "string", "minLength", 1),
                Map.of("type", "array", "items", Map.of("type", "string"), "minItems", 1)));
        Map<String, Object> props = properties(
                "environment", string("The guest environment (root image) to boot, e.g. \"" + Pyro.DEFAULT_ENVIRONMENT + "\"."
                        + known + " vm_list_environments lists them."),
                "command", command,
                "vcpu_count", integer("Virtual CPUs, 1 to 32. Default " + RunRequest.DEFAULT_VCPU_COUNT + ".",
                        1, RunRequest.DEFAULT_VCPU_COUNT),
                "mem_mib", integer("Guest memory in MiB, from 128 up to the host's memory. Default "
                        + RunRequest.DEFAULT_MEM_MIB + ".", 128, RunRequest.DEFAULT_MEM_MIB),
                "timeout_seconds", integer("Seconds the command may run before it and everything it started are"
                        + " killed (exit_code 124, timed_out true). Default " + RunRequest.DEFAULT_TIMEOUT_SECONDS
                        + "; at most ttl_seconds.", 1, RunRequest.DEFAULT_TIMEOUT_SECONDS),
                "ttl_seconds", integer("Hard lifetime of the VM in seconds, enforced by the host and by the guest;"
                        + " at least timeout_seconds. Default " + RunRequest.DEFAULT_TTL_SECONDS + ".",
                        1, RunRequest.DEFAULT_TTL_SECONDS),
                "allow_host_compat", MachineSchemas.hostCompatProperty(access),
                OutputLimit.NAME, OutputLimit.property());
        props.putAll(MachineSchemas.networkProperties());
        return object(props, List.of("environment", "command"));
    }

    @Override
    public String name() {
        return ToolNames.VM_RUN;
    }

    @Override
    public McpSchema.Tool definition() {
        return definition;
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        String environment = args.requiredString("environment", Pyro.DEFAULT_ENVIRONMENT);
        List<String> command = args.command("command");
        RunRequest request = RunRequest.builder(environment, command)
                .vcpuCount(args.integer("vcpu_count", RunRequest.DEFAULT_VCPU_COUNT, "virtual CPUs"))
                .memMib(args.integer("mem_mib", RunRequest.DEFAULT_MEM_MIB, "MiB"))
                .timeoutSeconds(args.integer("timeout_seconds", RunRequest.DEFAULT_TIMEOUT_SECONDS, "seconds"))
                .ttlSeconds(args.integer("ttl_seconds", RunRequest.DEFAULT_TTL_SECONDS, "seconds"))
                .allowHostCompat(args.bool("allow_host_compat", false))
                .network(MachineSchemas.network(args, context.network()))
                .outputLimitBytes(OutputLimit.of(args))
                .build();
        OutputLimit.Counter counter = new OutputLimit.Counter();
        RunResult r = context.pyro().run(request, counter);
        return counter.annotate(JsonViews.run(r), r.stdout(), r.stderr());
    }
}
