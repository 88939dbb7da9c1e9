package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.HostAccess;
import dev.pyro.Pyro;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The MCP server's doors as a model meets them, over in-memory stdio with a server confined as
 * {@code pyro mcp serve} confines it (project directory, no --allow-host-compat) and unable to
 * start a VM (no QEMU, empty cache): each refusal is a tool error of kind not_permitted that
 * names who can open the door, and nothing is run, read or written. Everything here is refused
 * before a workspace is looked up, so no VM is needed; McpStdioClientIT repeats it with the
 * official client and real VMs.
 */
class DoorsOverStdioTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path tmp;
    Path project;
    Path outside;

    private OutputStream toServer;
    private BufferedReader fromServer;
    private PyroMcpServer server;
    private int nextId = 1;

    @BeforeEach
    void start() throws IOException {
        tmp = tmp.toRealPath();
        project = Files.createDirectories(tmp.resolve("project"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "secret");
        Files.createDirectories(project.resolve("src"));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PYRO_QEMU", tmp.resolve("no-qemu").toString());
        env.put("PYRO_NO_AUTO_INSTALL", "1");
        Pyro pyro = Pyro.builder().home(tmp.resolve("home")).cacheDir(tmp.resolve("cache")).environment(env)
                .progress(new ProgressRouter()).hostAccess(HostAccess.confined(project).build()).build();
        server = new PyroMcpServer(pyro, Profile.WORKSPACE_FULL);
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        toServer = Channels.newOutputStream(in.sink());
        fromServer = new BufferedReader(new InputStreamReader(Channels.newInputStream(out.source()), StandardCharsets.UTF_8));
        OutputStream serverOut = Channels.newOutputStream(out.sink());
        CompletableFuture.runAsync(() -> {
            try {
                StdioTransport.serve(server, Channels.newInputStream(in.source()), serverOut);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        send("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"0\"}}}");
        JsonNode init = receive();
        assertThat(init.at("/result/instructions").asString()).contains("must lie under: " + project,
                "not enabled on this server");
        send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private void send(String line) throws IOException {
        toServer.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        toServer.flush();
    }

    private JsonNode receive() throws IOException {
        String line = fromServer.readLine();
        assertThat(line).as("a message from the server").isNotNull();
        return JSON.readTree(line);
    }

    private JsonNode call(String tool, Map<String, Object> arguments) throws IOException {
        int id = nextId++;
        send(JSON.writeValueAsString(Map.of("jsonrpc", "2.0", "id", id, "method", "tools/call",
                "params", Map.of("name", tool, "arguments", arguments))));
        JsonNode response = receive();
        assertThat(response.get("id").asInt()).isEqualTo(id);
        return response.get("result");
    }

    private static JsonNode notPermitted(JsonNode result) {
        assertThat(result.get("isError").asBoolean()).as(result.toString()).isTrue();
        JsonNode error = result.at("/structuredContent/error");
        assertThat(error.get("kind").asString()).as(result.toString()).isEqualTo("not_permitted");
        assertThat(JSON.readTree(result.at("/content/0/text").asString())).isEqualTo(result.get("structuredContent"));
        return error;
    }

    @Test
    void hostCompatAskedForByAToolArgumentIsRefusedAndNothingRunsOnTheHost() throws IOException {
        Path marker = tmp.resolve("marker");
        for (String tool : new String[] {"vm_run", "vm_create", "workspace_create"}) {
            Map<String, Object> args = new HashMap<>(Map.of("environment", "debian:12-base", "allow_host_compat", true));
            if (tool.equals("vm_run")) {
                args.put("command", "touch " + marker);
            }
            JsonNode error = notPermitted(call(tool, args));
            assertThat(error.get("argument").asString()).isEqualTo("allow_host_compat");
            assertThat(error.get("message").asString()).contains("allow_host_compat is refused", "nothing ran",
                    "only the operator can enable host-compat, by starting the server with: pyro mcp serve"
                            + " --allow-host-compat");
        }
        assertThat(marker).doesNotExist();
        assertThat(call("vm_list", Map.of()).at("/structuredContent/count").asInt()).isZero();
        assertThat(call("workspace_list", Map.of()).at("/structuredContent/count").asInt()).isZero();
    }

    @Test
    void theToolsSayWhatTheServerAllows() throws IOException {
        send("{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"tools/list\"}");
        String tools = receive().toString();
        assertThat(tools).contains("Refused on this server: running on the host WITHOUT isolation",
                "Only paths under the allowed roots are accepted: " + project);
    }

    @Test
    void hostPathsOutsideTheProjectAreRefusedNamingTheRoots() throws IOException {
        Files.createSymbolicLink(project.resolve("escape"), outside);
        Files.createSymbolicLink(project.resolve("src/up"), Path.of("../../outside/secret"));
        String roots = "outside the allowed roots (" + project + ")";
        String fix = "use a path under an allowed root, or ask the operator to start the server with --allow-path DIR";

        for (String output : new String[] {outside.resolve("x").toString(), "../outside/x", "/etc/cron.d/pyro-x",
                "escape/x"}) {
            JsonNode error = notPermitted(call("workspace_export", Map.of("workspace_id", "feedface", "path", "a",
                    "output_path", output)));
            assertThat(error.get("message").asString()).as(output).contains("output path", "nothing was written", fix)
                    .containsAnyOf(roots, "leads through the symlink " + project.resolve("escape"));
        }
        try (var list = Files.list(outside)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactly("secret");
        }

        for (String source : new String[] {outside.toString(), "escape", "src/up", "~/", "/etc"}) {
            JsonNode error = notPermitted(call("workspace_sync_push", Map.of("workspace_id", "feedface",
                    "source_path", source)));
            assertThat(error.get("message").asString()).as(source).contains("sync source", "nothing was read", fix);
            JsonNode seed = notPermitted(call("workspace_create", Map.of("environment", "debian:12-base",
                    "seed_path", source)));
            assertThat(seed.get("message").asString()).as(source).contains("seed path", "nothing was read", fix);
        }
        assertThat(call("workspace_list", Map.of()).at("/structuredContent/count").asInt())
                .as("a refused seed leaves no workspace").isZero();

        // Inside the project, the same calls get past the door (and stop at the unknown workspace).
        JsonNode inside = call("workspace_export", Map.of("workspace_id", "feedface", "path", "a", "output_path", "out"));
        assertThat(inside.at("/structuredContent/error/kind").asString()).isEqualTo("not_found");
        JsonNode push = call("workspace_sync_push", Map.of("workspace_id", "feedface", "source_path", "src"));
        assertThat(push.at("/structuredContent/error/kind").asString()).isEqualTo("not_found");
    }
}
