package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;

import dev.pyro.HostAccess;
import dev.pyro.MachineRequest;
import dev.pyro.Pyro;
import dev.pyro.RunRequest;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.EnvironmentChoice;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Schema pieces and argument readers shared by the VM and workspace tools, so that every tool
 * names, defaults and documents the same argument the same way (and as the CLI does).
 */
final class MachineSchemas {
    private MachineSchemas() {
    }

    static Map<String, Object> vmId() {
        return string("The VM's id, as vm_create or vm_list returned it (a unique prefix works too).");
    }

    static Map<String, Object> workspaceId() {
        return string("The workspace's id, as workspace_create or workspace_list returned it (a unique prefix"
                + " works too).");
    }

    /**
     * The network arguments of vm_run, vm_create and workspace_create (docs/networking.md), with
     * the CLI's rules ({@link dev.pyro.NetworkRequest#of}).
     */
    static Map<String, Object> networkProperties() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> policy = new LinkedHashMap<>(string("\"off\" (the default: the guest has no network"
                + " device at all), \"egress\" (outbound TCP/UDP through NAT, e.g. git clone, pip install) or"
                + " \"egress+published-ports\" (egress plus `publish`)."));
        policy.put("enum", List.of("off", "egress", "egress+published-ports"));
        m.put("network_policy", policy);
        m.put("network", bool("Short for network_policy \"egress\": give the guest outbound network access."
                + " Default false.", false));
        Map<String, Object> hostPorts = new LinkedHashMap<>(array(Map.of("type", "integer", "minimum", 1,
                "maximum", 65535), "Ports of the host's loopback (127.0.0.1) the guest may reach as"
                + " host.pyro.internal:PORT, e.g. [8000] for a dev server the user runs. Implies egress. Only the"
                + " ports the user wants reachable; every other host port stays closed (and the host's own"
                + " addresses always are)."));
        hostPorts.put("maxItems", dev.pyro.NetworkRequest.MAX_LISTED);
        m.put("allow_host_ports", hostPorts);
        Map<String, Object> nets = new LinkedHashMap<>(array(Map.of("type", "string"), "Non-public IPv4 ranges"
                + " (CIDR, e.g. [\"192.168.1.0/24\"]) the guest may reach: without it the guest reaches public"
                + " addresses only, never private networks, link-local or cloud metadata addresses. Only ranges the"
                + " operator opened with `pyro mcp serve --allow-net` are accepted. Implies egress."));
        nets.put("maxItems", dev.pyro.NetworkRequest.MAX_LISTED);
        m.put("allow_net", nets);
        Map<String, Object> publish = new LinkedHashMap<>(array(Map.of("type", "string",
                "pattern", "^[0-9]{1,5}(:[0-9]{1,5})?$"), "Ports to publish, as \"HOST_PORT:GUEST_PORT\" strings,"
                + " e.g. [\"8080:8000\"]: 127.0.0.1:HOST_PORT on the host (loopback only) forwards to GUEST_PORT in"
                + " the guest while it runs. Implies network_policy \"egress+published-ports\"; a taken host port"
                + " is an error."));
        m.put("publish", publish);
        Map<String, Object> backend = new LinkedHashMap<>(string("\"auto\" (default: \"user\"), \"user\""
                + " (rootless, passt) or \"tap\" (TAP device and NAT; needs pyro to run as root)."));
        backend.put("enum", List.of("auto", "user", "tap"));
        m.put("network_backend", backend);
        return m;
    }

    /**
     * The network the arguments ask for ({@link dev.pyro.NetworkRequest#OFF} when none), within
     * what {@code gate} lets a tool call open.
     */
    static dev.pyro.NetworkRequest network(Arguments args, dev.pyro.mcp.NetworkGate gate) {
        return gate.check(dev.pyro.NetworkRequest.of(args.optionalString("network_policy", "egress").orElse(null),
                args.bool("network", false), args.integerList("allow_host_ports", 8000),
                args.stringList("publish", "8080:8000"), args.stringList("allow_net", "192.168.1.0/24"),
                args.optionalString("network_backend", "user").orElse(null)));
    }

    /**
     * {@code allow_host_compat}, described as what it is on this server: the operator decides
     * whether it can be honoured at all ({@code --allow-host-compat}).
     */
    static Map<String, Object> hostCompatProperty(HostAccess access) {
        if (!access.hostCompatAllowed()) {
            return bool("Refused on this server: running on the host WITHOUT isolation (host-compat) is the"
                    + " operator's decision, and this server was not started with --allow-host-compat. Leave it false.",
                    false);
        }
        return bool("Only when the user explicitly accepts running WITHOUT isolation: if this host cannot run VMs,"
                + " run directly on the host instead (the operator started this server with --allow-host-compat)."
                + " Results then say execution_mode \"host_compat\". Default false.", false);
    }

    /** The arguments of vm_create and workspace_create that size and place the machine. */
    static Map<String, Object> createProperties(List<EnvironmentChoice> environments, HostAccess access) {
        String known = environments.isEmpty() ? "" : " Available: " + EnvironmentChoice.describe(environments) + ".";
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("environment", string("The guest environment (root image), e.g. \"" + Pyro.DEFAULT_ENVIRONMENT + "\"."
                + known));
        m.put("vcpu_count", integer("Virtual CPUs, 1 to 32. Default " + RunRequest.DEFAULT_VCPU_COUNT + ".", 1,
                RunRequest.DEFAULT_VCPU_COUNT));
        m.put("mem_mib", integer("Guest memory in MiB, at least 128. Default " + RunRequest.DEFAULT_MEM_MIB + ".", 128,
                RunRequest.DEFAULT_MEM_MIB));
        m.put("ttl_seconds", integer("Lifetime in seconds; after it the machine is deleted by the next reap or create."
                + " Default " + RunRequest.DEFAULT_TTL_SECONDS + ".", 1, RunRequest.DEFAULT_TTL_SECONDS));
        m.put("allow_host_compat", hostCompatProperty(access));
        m.putAll(networkProperties());
        return m;
    }

    static MachineRequest request(Arguments args, Optional<Path> seed, dev.pyro.mcp.NetworkGate gate) {
        return MachineRequest.builder(args.requiredString("environment", Pyro.DEFAULT_ENVIRONMENT))
                .seedPath(seed.orElse(null))
                .vcpuCount(args.integer("vcpu_count", RunRequest.DEFAULT_VCPU_COUNT, "virtual CPUs"))
                .memMib(args.integer("mem_mib", RunRequest.DEFAULT_MEM_MIB, "MiB"))
                .ttlSeconds(args.integer("ttl_seconds", RunRequest.DEFAULT_TTL_SECONDS, "seconds"))
                .allowHostCompat(args.bool("allow_host_compat", false))
                .network(network(args, gate))
                .build();
    }

    /** The fields of {@link dev.pyro.JsonViews#network}. */
    static Map<String, Object> networkFields() {
        return properties(
                "network_policy", string("\"off\" (no network device), \"egress\" or \"egress+published-ports\"."),
                "network_enabled", bool("Whether the guest has a network device."),
                "backend", nullableString("\"user\" (passt) or \"tap\"; null when off."),
                "guest_address", nullableString("The guest's IPv4 address with prefix, e.g. 10.213.0.2/30."),
                "gateway", nullableString("The guest's gateway."),
                "dns", nullableString("The guest's DNS server."),
                "allow_host", bool("Whether the guest reaches any host port as host.pyro.internal."),
                "allow_host_ports", array(Map.of("type", "integer"), "The host loopback ports the guest reaches as"
                        + " host.pyro.internal:PORT; no other host port is reachable."),
                "host_alias", Map.of("type", List.of("object", "null"), "description",
                        "{name: \"host.pyro.internal\", address} when allow_host, else null."),
                "published_ports", array(Map.of("type", "object"), "[{host_address: \"127.0.0.1\", host_port,"
                        + " guest_port}]."),
                "tap_device", nullableString("The host's TAP device (tap back end)."),
                "allow_net", array(Map.of("type", "string"), "Non-public IPv4 ranges opened to the guest (CIDR);"
                        + " otherwise it reaches public addresses only."));
    }

    static Map<String, Object> networkInfoSchema() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("vm_id", string("The VM's (or workspace's) id."));
        p.put("state", string("Its state."));
        p.putAll(networkFields());
        return result(p, List.of("vm_id", "state", "network_policy", "network_enabled"));
    }

    static Map<String, Object> networkSchema() {
        return result(networkFields(), List.of("network_policy", "network_enabled"));
    }

    /** The command and timeout arguments of vm_exec and workspace_exec. */
    static Map<String, Object> commandProperty() {
        Map<String, Object> command = new LinkedHashMap<>();
        command.put("description", "The command. A string is a shell command line run with `sh -lc`, e.g."
                + " \"make test 2>&1 | tail -20\"; an array of strings is an exact argv run without a shell.");
        command.put("anyOf", List.of(Map.of("type", "string", "minLength", 1),
                Map.of("type", "array", "items", Map.of("type", "string"), "minItems", 1)));
        return command;
    }

    static Map<String, Object> timeoutProperty() {
        return integer("Seconds before the command and everything it started are killed (exit_code 124,"
                + " timed_out true). Default " + RunRequest.DEFAULT_TIMEOUT_SECONDS + ".", 1,
                RunRequest.DEFAULT_TIMEOUT_SECONDS);
    }

    /** The fields of {@link dev.pyro.JsonViews#vm}, minus the id field (the caller adds its own). */
    static Map<String, Object> machineFields() {
        return properties(
                "environment", string("The environment it runs."),
                "state", string("\"created\" (never started), \"starting\", \"started\", \"stopping\", \"stopped\","
                        + " \"deleting\" or \"failed\" (see last_error; start it again to recover)."),
                "engine", string("\"qemu\" or \"host_compat\"."),
                "accel", string("\"kvm\", \"tcg\" (software emulation, slower) or \"none\"."),
                "execution_mode", string("\"guest_virtio_serial\", \"guest_vsock\" or \"host_compat\" (no isolation)."),
                "pid", Map.of("type", List.of("integer", "null"), "description", "The VMM's process id while started."),
                "vcpu_count", integer("Virtual CPUs."),
                "mem_mib", integer("Memory in MiB."),
                "ttl_seconds", integer("Lifetime in seconds."),
                "created_at", string("When it was created (ISO-8601, UTC)."),
                "expires_at", string("When it will be reaped (ISO-8601, UTC)."),
                "last_error", nullableString("Why it failed or stopped unexpectedly, else null."),
                "network", networkSchema());
    }

    static final List<String> MACHINE_REQUIRED = List.of("environment", "state", "engine", "execution_mode",
            "created_at", "expires_at");

    static Map<String, Object> vmSchema() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("vm_id", string("The VM's id."));
        p.putAll(machineFields());
        return result(p, concat("vm_id", MACHINE_REQUIRED));
    }

    static Map<String, Object> workspaceSchema() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("workspace_id", string("The workspace's id: pass it to the other workspace_* tools."));
        p.putAll(machineFields());
        p.put("workspace_path", string("Where the files are in the guest: /workspace."));
        p.put("workspace_seed", result(properties(
                "mode", string("\"empty\", \"directory\" or \"tar_archive\"."),
                "source_path", nullableString("The host path it was seeded from."),
                "destination", string("Where the seed went in the guest."),
                "entry_count", integer("Files, directories and links written."),
                "bytes_written", integer("File bytes written.")), List.of("mode")));
        p.put("command_count", integer("Commands run so far (workspace_logs lists them)."));
        p.put("last_command", Map.of("type", List.of("object", "null"),
                "description", "The newest journal entry, or null."));
        return result(p, concat("workspace_id", MACHINE_REQUIRED));
    }

    static Map<String, Object> commandSchema(String idField) {
        return result(properties(
                idField, string("Where it ran."),
                "sequence", integer("Its number in the journal (0 for vm_exec)."),
                "command", array(Map.of("type", "string"), "The argv that ran."),
                "cwd", string("The working directory."),
                "execution_mode", string("\"guest_virtio_serial\", \"guest_vsock\" or \"host_compat\"."),
                "exit_code", integer("The command's exit code; 124 when it timed out, 128+N when signal N ended it."),
                "stdout", string("Standard output as UTF-8 text."),
                "stderr", string("Standard error as UTF-8 text."),
                "stdout_base64", string("The exact stdout bytes, only when they were not valid UTF-8."),
                "stderr_base64", string("The exact stderr bytes, only when they were not valid UTF-8."),
                "stdout_truncated", bool("True when stdout was cut at max_output_bytes."),
                "stderr_truncated", bool("True when stderr was cut at max_output_bytes."),
                OutputLimit.schemaFields()[0], OutputLimit.schemaFields()[1],
                OutputLimit.schemaFields()[2], OutputLimit.schemaFields()[3],
                "timed_out", bool("True when the command was killed at timeout_seconds."),
                "duration_ms", integer("How long it ran."),
                "note", string("Present when the command ran on the host WITHOUT isolation (host-compat).")),
                List.of(idField, "exit_code", "stdout", "stderr", "timed_out", "duration_ms"));
    }

    static Map<String, Object> listSchema(String field, Map<String, Object> item) {
        return result(properties(
                "count", integer("How many."),
                field, array(item, "Oldest first.")), List.of("count", field));
    }

    static Map<String, Object> deletedSchema(String idField) {
        return result(properties(
                idField, string("The id that was deleted."),
                "deleted", bool("Always true: a failed delete is a tool error.")), List.of(idField, "deleted"));
    }

    static Map<String, Object> transferSchema() {
        return result(properties(
                "workspace_id", string("The workspace."),
                "source", string("What was copied."),
                "destination", string("Where it went."),
                "artifact_type", string("An export: \"file\" or \"directory\" (never a symlink); a sync push:"
                        + " \"directory\" or \"tar_archive\"."),
                "entry_count", integer("Files, directories and links written."),
                "bytes_written", integer("File bytes written.")),
                List.of("workspace_id", "source", "destination", "entry_count", "bytes_written"));
    }

    static Map<String, Object> idOnly(String field, Map<String, Object> schema) {
        return object(properties(field, schema), List.of(field));
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> l = new java.util.ArrayList<>();
        l.add(first);
        l.addAll(rest);
        return l;
    }
}
