package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.Accel;
import dev.pyro.CommandResult;
import dev.pyro.ExecutionMode;
import dev.pyro.JournalEntry;
import dev.pyro.JsonViews;
import dev.pyro.MachineState;
import dev.pyro.TransferResult;
import dev.pyro.VmInfo;
import dev.pyro.WorkspaceInfo;
import dev.pyro.WorkspaceSeed;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The SDK's JSON views, as the lifecycle tools return them, match the output schemas the tools serve. */
class LifecycleSchemasTest {
    private static final List<EnvironmentChoice> ENVS = List.of(new EnvironmentChoice("debian:12", "Debian 12", true));
    private final JsonSchemaValidator validator = McpJsonDefaults.getSchemaValidator();
    private final Map<String, McpSchema.Tool> served = ToolCatalog.all(ENVS, dev.pyro.HostAccess.unrestricted()).stream()
            .collect(java.util.stream.Collectors.toMap(PyroTool::name, t -> ToolDispatcher.served(t.definition())));

    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private static final VmInfo VM = new VmInfo("a1b2c3d4e5f6", "debian:12", MachineState.STARTED, "qemu", Accel.TCG,
            ExecutionMode.GUEST_VIRTIO_SERIAL, Optional.of(4242L), 1, 1024, 600, NOW, NOW.plusSeconds(600),
            Optional.empty());
    private static final JournalEntry ENTRY = new JournalEntry(1, List.of("sh", "-lc", "make"), "/workspace",
            Optional.of(0), false, 812, NOW, Optional.of(NOW.plusMillis(812)), "ok\n", "");
    private static final WorkspaceInfo WORKSPACE = new WorkspaceInfo(VM, "/workspace",
            new WorkspaceSeed(WorkspaceSeed.Mode.DIRECTORY, Optional.of("/home/me/p"), "/workspace", 12, 3400), 1,
            Optional.of(ENTRY));
    private static final CommandResult COMMAND = new CommandResult("a1b2c3d4e5f6", 2, List.of("true"), "/workspace", 0,
            "é\n".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff}, false, false, false, 40,
            ExecutionMode.GUEST_VIRTIO_SERIAL);
    private static final TransferResult TRANSFER = new TransferResult("a1b2c3d4e5f6", "/home/me/p", "/workspace",
            TransferResult.ArtifactType.DIRECTORY, 12, 3400);

    private static final dev.pyro.NetworkInfo NETWORK = new dev.pyro.NetworkInfo(dev.pyro.NetworkPolicy.EGRESS_PUBLISHED_PORTS,
            Optional.of("user"), Optional.of("10.213.0.2/30"), Optional.of("10.213.0.1"), Optional.of("10.213.0.1"), List.of(8000),
            Optional.of("10.213.0.1"), List.of(new dev.pyro.PortMapping(8080, 8000)), Optional.empty(),
            List.of("192.168.1.0/24"));
    private static final VmInfo NETWORKED = new VmInfo("c1", "debian:12", MachineState.STARTED, "qemu", Accel.TCG,
            ExecutionMode.GUEST_VIRTIO_SERIAL, Optional.of(4243L), 1, 1024, 600, NOW, NOW.plusSeconds(600),
            Optional.empty(), NETWORK);

    @Test
    void networkViewsMatchTheirSchemas() {
        assertValid("vm_network_info", JsonViews.networkInfo(VM));
        assertValid("vm_network_info", JsonViews.networkInfo(NETWORKED));
        assertValid("vm_status", JsonViews.vm(NETWORKED));
        assertValid("workspace_status", JsonViews.workspace(new WorkspaceInfo(NETWORKED, "/workspace",
                WorkspaceSeed.empty(), 0, Optional.empty())));
        Map<String, Object> info = JsonViews.networkInfo(NETWORKED);
        assertThat(info).containsEntry("network_policy", "egress+published-ports").containsEntry("allow_host", true)
                .containsEntry("allow_host_ports", List.of(8000)).containsEntry("allow_net", List.of("192.168.1.0/24"));
        assertThat(JsonViews.vm(VM).get("network")).isEqualTo(JsonViews.network(dev.pyro.NetworkInfo.OFF));
    }

    @Test
    void vmToolsResultsMatchTheirSchemas() {
        for (String tool : List.of("vm_create", "vm_start", "vm_stop", "vm_status")) {
            assertValid(tool, JsonViews.vm(VM));
        }
        VmInfo failed = new VmInfo("b", "debian:12", MachineState.FAILED, "qemu", Accel.TCG,
                ExecutionMode.GUEST_VIRTIO_SERIAL, Optional.empty(), 1, 1024, 600, NOW, NOW, Optional.of("VMM died"));
        assertValid("vm_status", JsonViews.vm(failed));
        assertValid("vm_list", JsonViews.list("vms", List.of(JsonViews.vm(VM), JsonViews.vm(failed))));
        assertValid("vm_exec", JsonViews.command(COMMAND, "vm_id"));
        assertValid("vm_delete", JsonViews.deleted("vm_id", "a1b2c3d4e5f6"));
        assertValid("vm_reap_expired", JsonViews.reaped(List.of("a", "b")));
    }

    @Test
    void workspaceToolsResultsMatchTheirSchemas() {
        for (String tool : List.of("workspace_create", "workspace_start", "workspace_stop", "workspace_status")) {
            assertValid(tool, JsonViews.workspace(WORKSPACE));
        }
        WorkspaceInfo empty = new WorkspaceInfo(VM, "/workspace",
                new WorkspaceSeed(WorkspaceSeed.Mode.EMPTY, Optional.empty(), "/workspace", 0, 0), 0, Optional.empty());
        assertValid("workspace_status", JsonViews.workspace(empty));
        assertValid("workspace_list", JsonViews.list("workspaces", List.of(JsonViews.workspace(WORKSPACE))));
        assertValid("workspace_exec", JsonViews.command(COMMAND, "workspace_id"));
        assertValid("workspace_sync_push", JsonViews.transfer(TRANSFER));
        assertValid("workspace_export", JsonViews.transfer(TRANSFER));
        assertValid("workspace_logs", JsonViews.journal("a1b2c3d4e5f6", List.of(ENTRY)));
        assertValid("workspace_delete", JsonViews.deleted("workspace_id", "a1b2c3d4e5f6"));
    }

    @Test
    void aResultOfTheWrongShapeIsRejected() {
        assertThat(validator.validate(served.get("workspace_exec").outputSchema(), Map.of("stdout", "x")).valid())
                .isFalse();
        assertThat(validator.validate(served.get("vm_status").outputSchema(), JsonViews.workspace(WORKSPACE)).valid())
                .as("a workspace has no vm_id").isFalse();
    }

    @Test
    void createToolsTakeTheCliArgumentsAndSeedPathItsAlias() {
        assertThat(served.get("workspace_create").inputSchema().get("properties").toString())
                .contains("seed_path", "source_path", "vcpu_count", "mem_mib", "ttl_seconds", "allow_host_compat");
        assertThat(served.get("workspace_create").inputSchema().get("required")).isEqualTo(List.of("environment"));
        assertThat(served.get("vm_exec").inputSchema().get("required")).isEqualTo(List.of("vm_id", "command"));
        assertThat(served.get("workspace_sync_push").inputSchema().get("required"))
                .isEqualTo(List.of("workspace_id", "source_path"));
        assertThat(served.get("workspace_export").inputSchema().get("required"))
                .isEqualTo(List.of("workspace_id", "path", "output_path"));
        assertThat(served.get("vm_delete").annotations().destructiveHint()).isTrue();
        assertThat(served.get("workspace_list").annotations().readOnlyHint()).isTrue();
    }

    private void assertValid(String tool, Map<String, Object> json) {
        JsonSchemaValidator.ValidationResponse v = validator.validate(served.get(tool).outputSchema(), json);
        assertThat(v.valid()).as(tool + ": " + v.errorMessage()).isTrue();
    }
}
