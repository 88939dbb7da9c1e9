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

    private void assertValid(McpSchema.Tool tool, Object content) {
        JsonSchemaValidator.ValidationResponse v = validator.validate(tool.outputSchema(), content);
        assertThat(v.valid()).as(String.valueOf(v.errorMessage())).isTrue();
    }

    private static List<String> names(Profile p) {
        return ToolCatalog.forProfile(p, ENVS, dev.pyro.HostAccess.unrestricted()).stream().map(PyroTool::name).toList();
    }
}
