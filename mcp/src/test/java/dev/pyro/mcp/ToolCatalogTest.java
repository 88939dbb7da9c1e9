package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.Accel;
import dev.pyro.ExecutionMode;
import dev.pyro.JsonViews;
import dev.pyro.RunResult;
import dev.pyro.Timings;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class ToolCatalogTest {
    private static final List<EnvironmentChoice> ENVS = List.of(
            new EnvironmentChoice("debian:12", "Debian 12 with Git and curl", true),
            new EnvironmentChoice("debian:12-base", "minimal Debian 12", false));
    private final JsonSchemaValidator validator = McpJsonDefaults.getSchemaValidator();

    @Test
    void onlyImplementedToolsOfTheProfileAreServed() {
        assertThat(names(Profile.VM_RUN)).containsExactly("vm_run");
        assertThat(names(Profile.WORKSPACE_CORE)).containsExactly("vm_run", "workspace_create", "workspace_exec",
                "workspace_sync_push", "workspace_export", "workspace_status", "workspace_logs", "workspace_delete");
        assertThat(names(Profile.WORKSPACE_FULL)).containsExactlyElementsOf(ToolNames.ALL);
        for (PyroTool t : ToolCatalog.all(ENVS, dev.pyro.HostAccess.unrestricted())) {
            assertThat(ToolNames.ALL).contains(t.name());
            assertThat(t.definition().name()).isEqualTo(t.name());
        }
    }

    @Test
    void schemasAreValidAndWrittenForAModel() {
        for (PyroTool t : ToolCatalog.all(ENVS, dev.pyro.HostAccess.unrestricted())) {
            McpSchema.Tool served = ToolDispatcher.served(t.definition());
            validator.assertConforms(t.name() + " input", served.inputSchema());
            validator.assertConforms(t.name() + " output", served.outputSchema());
            assertThat(served.inputSchema()).containsEntry("type", "object").containsEntry("additionalProperties", false);
            assertThat(served.outputSchema()).containsEntry("type", "object");
            assertThat(served.description()).hasSizeGreaterThan(100);
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> props = (Map<String, Map<String, Object>>) served.inputSchema().get("properties");
            props.forEach((name, schema) -> assertThat(schema).as(t.name() + "." + name).containsKey("description"));
            assertThat(t.argumentNames()).containsExactlyElementsOf(props.keySet());
        }
    }

    @Test
    void vmRunSchemaNamesTheDefaultsAndTheEnvironments() {
        Map<String, Object> input = new dev.pyro.mcp.tools.VmRunTool(ENVS, dev.pyro.HostAccess.unrestricted()).definition().inputSchema();
        assertThat(input.get("required")).isEqualTo(List.of("environment", "command"));
        assertThat(input.toString()).contains("debian:12 (the default): Debian 12 with Git and curl; debian:12-base: minimal",
                "default=30", "default=600", "default=1024", "sh -lc");
    }

    @Test
    void runResultsAndErrorsBothMatchTheServedOutputSchema() {
        McpSchema.Tool served = ToolDispatcher.served(new dev.pyro.mcp.tools.VmRunTool(ENVS, dev.pyro.HostAccess.unrestricted()).definition());
        RunResult r = new RunResult("debian:12-base", "qemu", Accel.TCG, ExecutionMode.GUEST_VIRTIO_SERIAL, 0,
                "6.1.192-pyro\n".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff}, false, false, false,
                1500, new Timings(1100, 200, 200), "abcd1234", "6.1.192-pyro", Optional.empty());
        assertValid(served, JsonViews.run(r));
        McpSchema.CallToolResult error = ToolResults.error("invalid_argument", "bad\nthing", Optional.of("command"));
        assertValid(served, error.structuredContent());
        assertThat(validator.validate(served.outputSchema(), Map.of("stdout", "x")).valid()).isFalse();
    }

    @Test
    void resultsCarryTheSameJsonAsStructuredContentAndText() {
        McpSchema.CallToolResult ok = ToolResults.success(Map.of("exit_code", 0, "note", "x"));
        String text = ((McpSchema.TextContent) ok.content().get(0)).text();
        assertThat(JsonMapper.builder().build().readValue(text, Map.class)).isEqualTo(ok.structuredContent());
        assertThat(ok.isError()).isFalse();
        McpSchema.CallToolResult error = ToolResults.error("vm_failed", " boot failed\n  see log ", Optional.empty());
        assertThat(error.isError()).isTrue();
        assertThat(((McpSchema.TextContent) error.content().get(0)).text())
                .isEqualTo("{\"error\":{\"kind\":\"vm_failed\",\"message\":\"boot failed; see log\"}}");
    }

    @Test
    void aHostCompatResultSaysSoInEveryForm() {
        McpSchema.Tool served = ToolDispatcher.served(new dev.pyro.mcp.tools.VmRunTool(ENVS,
                dev.pyro.HostAccess.unrestricted()).definition());
        RunResult r = new RunResult("debian:12-base", "host_compat", Accel.NONE, ExecutionMode.HOST_COMPAT, 0,
                new byte[0], new byte[0], false, false, false, 10, new Timings(0, 10, 0), "", "",
                Optional.of("ran on the host WITHOUT isolation (host-compat): asked"));
        Map<String, Object> json = JsonViews.run(r);
        assertValid(served, json);
        McpSchema.CallToolResult result = ToolResults.success(json);
        assertThat(result.content()).hasSize(2);
        String text = ((McpSchema.TextContent) result.content().get(0)).text();
        JsonMapper mapper = JsonMapper.builder().build();
        assertThat(text).isEqualTo(mapper.writeValueAsString(result.structuredContent()));
        assertThat(((McpSchema.TextContent) result.content().get(1)).text()).startsWith("WARNING: this ran on the host"
                + " WITHOUT isolation");
        assertThat(ToolResults.success(JsonViews.run(new RunResult("debian:12-base", "qemu", Accel.TCG,
                ExecutionMode.GUEST_VIRTIO_SERIAL, 0, new byte[0], new byte[0], false, false, false, 10,
                new Timings(0, 10, 0), "a", "k", Optional.empty()))).content()).hasSize(1);

        McpSchema.Tool exec = ToolCatalog.all(ENVS, dev.pyro.HostAccess.unrestricted()).stream()
                .filter(t -> t.name().equals(ToolNames.WORKSPACE_EXEC)).findFirst().orElseThrow().definition();
        Map<String, Object> command = JsonViews.command(new dev.pyro.CommandResult("abcd1234", 1, List.of("true"),
                "/workspace", 0, new byte[0], new byte[0], false, false, false, 5, ExecutionMode.HOST_COMPAT),
                "workspace_id");
        assertThat(command).containsEntry("note", "runs on the host WITHOUT isolation (host-compat)");
        assertValid(ToolDispatcher.served(exec), command);
    }

    @Test
    void refusalsSayWhoOpensTheDoor() {
        McpSchema.CallToolResult compat = ToolResults.error(new dev.pyro.HostAccessDeniedException(
                dev.pyro.HostAccess.Door.HOST_EXECUTION, "allow_host_compat is refused", List.of()));
        assertThat(compat.structuredContent()).isEqualTo(Map.of("error", Map.of("kind", "not_permitted",
                "message", "allow_host_compat is refused; only the operator can enable host-compat, by starting the"
                        + " server with: pyro mcp serve --allow-host-compat (no tool argument can)",
                "argument", "allow_host_compat")));
        McpSchema.CallToolResult path = ToolResults.error(new dev.pyro.HostAccessDeniedException(
                dev.pyro.HostAccess.Door.HOST_PATHS, "output path /etc/x is outside the allowed roots (/p)", List.of()));
        assertThat(((McpSchema.TextContent) path.content().get(0)).text()).contains("not_permitted",
                "ask the operator to start the server with --allow-path DIR");
    }

    private void assertValid(McpSchema.Tool tool, Object content) {
        JsonSchemaValidator.ValidationResponse v = validator.validate(tool.outputSchema(), content);
        assertThat(v.valid()).as(String.valueOf(v.errorMessage())).isTrue();
    }

    private static List<String> names(Profile p) {
        return ToolCatalog.forProfile(p, ENVS, dev.pyro.HostAccess.unrestricted()).stream().map(PyroTool::name).toList();
    }
}
