package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.Pyro;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The real server over in-memory stdio, speaking raw JSON-RPC lines: everything that needs no
 * VM (tools/list, argument and SDK errors, bad lines, the end of input). The real clients and
 * real VMs are in the ITs.
 */
class StdioServerTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path home;
    @TempDir
    Path cache;

    private OutputStream toServer;
    private BufferedReader fromServer;
    private CompletableFuture<Void> serving;
    private PyroMcpServer server;

    @BeforeEach
    void start() throws IOException {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        toServer = Channels.newOutputStream(in.sink());
        fromServer = new BufferedReader(new InputStreamReader(Channels.newInputStream(out.source()), StandardCharsets.UTF_8));
        Pyro pyro = Pyro.builder().home(home).cacheDir(cache).progress(new ProgressRouter()).build();
        server = new PyroMcpServer(pyro, Profile.WORKSPACE_FULL);
        OutputStream serverOut = Channels.newOutputStream(out.sink());
        serving = CompletableFuture.runAsync(() -> {
            try {
                StdioTransport.serve(server, Channels.newInputStream(in.source()), serverOut);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        send("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"0\"}}}");
        assertThat(receive().at("/result/serverInfo/name").asString()).isEqualTo("pyro");
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

    private JsonNode call(int id, String tool, String arguments) throws IOException {
        send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":" + arguments + "}}");
        JsonNode response = receive();
        assertThat(response.get("id").asInt()).isEqualTo(id);
        return response.get("result");
    }

    @Test
    void listsTheProfilesImplementedTools() throws IOException {
        send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        JsonNode tools = receive().at("/result/tools");
        assertThat(tools.valueStream().map(t -> t.get("name").asString()).toList())
                .containsExactlyElementsOf(ToolNames.ALL);
        assertThat(tools.get(0).at("/inputSchema/properties/command/anyOf")).hasSize(2);
    }

    @Test
    void listsEnvironmentsWithTheirState() throws IOException {
        JsonNode result = call(2, "vm_list_environments", "{}");
        assertThat(result.get("isError").asBoolean()).isFalse();
        JsonNode environments = result.at("/structuredContent/environments");
        assertThat(environments.valueStream().map(e -> e.get("name").asString()).toList())
                .contains(Pyro.DEFAULT_ENVIRONMENT, "debian:12-base");
        for (JsonNode e : environments) {
            assertThat(e.get("installed").asBoolean()).isFalse(); // empty cache: nothing built or pulled
            assertThat(e.get("state").asString()).isEqualTo("missing");
            assertThat(e.get("default").asBoolean()).isEqualTo(e.get("name").asString().equals(Pyro.DEFAULT_ENVIRONMENT));
        }
        assertThat(JSON.readTree(result.at("/content/0/text").asString())).isEqualTo(result.get("structuredContent"));
    }

    @Test
    void badArgumentsAndSdkRefusalsAreToolErrorsAndTheServerServesOn() throws IOException {
        JsonNode unknownEnv = call(3, "vm_run", "{\"environment\":\"debian:13\",\"command\":\"true\"}");
        assertThat(unknownEnv.get("isError").asBoolean()).isTrue();
        assertThat(unknownEnv.at("/structuredContent/error/kind").asString()).isEqualTo("invalid_argument");
        assertThat(unknownEnv.at("/structuredContent/error/message").asString())
                .startsWith("unknown environment 'debian:13'; known environments: ").contains("debian:12-base");

        JsonNode notAString = call(4, "vm_run", "{\"environment\":\"debian:12-base\",\"command\":{\"argv\":[]}}");
        assertThat(notAString.at("/structuredContent/error/argument").asString()).isEqualTo("command");

        JsonNode negative = call(5, "vm_run", "{\"environment\":\"debian:12-base\",\"command\":\"true\","
                + "\"timeout_seconds\":-5}");
        assertThat(negative.at("/structuredContent/error/message").asString())
                .isEqualTo("timeout_seconds must be a positive number of seconds; got -5");

        JsonNode tooShort = call(6, "vm_run", "{\"environment\":\"debian:12-base\",\"command\":\"true\","
                + "\"timeout_seconds\":700}");
        assertThat(tooShort.at("/structuredContent/error/message").asString()).contains("ttl_seconds");

        // Limits on what a model may send: a command too long for one protocol frame, an output cap
        // beyond one MCP message. Refused before anything starts, naming the limit.
        JsonNode longCommand = call(61, "vm_run", "{\"environment\":\"debian:12-base\",\"command\":[\"echo\",\""
                + "x".repeat(600_000) + "\"]}");
        assertThat(longCommand.get("isError").asBoolean()).isTrue();
        assertThat(longCommand.at("/structuredContent/error/message").asString())
                .isEqualTo("the command's 2 arguments take 600012 bytes, more than 524288 (a fixed limit); write long "
                        + "input to a file in the workspace (sync push) and pass its name instead");
        JsonNode bigCap = call(62, "workspace_exec", "{\"workspace_id\":\"a1b2\",\"command\":\"true\","
                + "\"max_output_bytes\":2097152}");
        assertThat(bigCap.at("/structuredContent/error/argument").asString()).isEqualTo("max_output_bytes");
        assertThat(bigCap.at("/structuredContent/error/message").asString()).startsWith("max_output_bytes must be "
                + "between 0 and 1048576");

        send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"vm_fly\",\"arguments\":{}}}");
        assertThat(receive().at("/error/code").asInt()).isEqualTo(-32602); // unknown tool: a protocol error, per spec

        send("{\"jsonrpc\": 2.0, this is not json");
        assertThat(receive().at("/error/code").asInt()).isEqualTo(-32700);
        send("[]");
        assertThat(receive().at("/error/code").asInt()).isEqualTo(-32600);

        send("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}");
        JsonNode pong = receive();
        assertThat(pong.get("id").asInt()).isEqualTo(8);
        assertThat(pong.has("result")).isTrue();
    }

    @Test
    void lifecycleToolsReadTheRealStateAndRefuseBadInputWithoutLeavingAnything() throws IOException {
        JsonNode none = call(10, "workspace_list", "{}");
        assertThat(none.get("isError").asBoolean()).isFalse();
        assertThat(none.at("/structuredContent/count").asInt()).isZero();

        JsonNode unknown = call(11, "workspace_status", "{\"workspace_id\":\"feedface\"}");
        assertThat(unknown.get("isError").asBoolean()).isTrue();
        assertThat(unknown.at("/structuredContent/error/kind").asString()).isEqualTo("not_found");
        assertThat(unknown.at("/structuredContent/error/message").asString()).contains("feedface");

        JsonNode missingSeed = call(12, "workspace_create", "{\"environment\":\"debian:12-base\",\"seed_path\":\""
                + home.resolve("no-such-dir") + "\"}");
        assertThat(missingSeed.get("isError").asBoolean()).isTrue();
        assertThat(missingSeed.at("/structuredContent/error/message").asString()).contains("no-such-dir");

        JsonNode twoSeeds = call(13, "workspace_create", "{\"environment\":\"debian:12-base\",\"seed_path\":\"/a\","
                + "\"source_path\":\"/b\"}");
        assertThat(twoSeeds.at("/structuredContent/error/argument").asString()).isEqualTo("source_path");

        JsonNode numberCommand = call(14, "workspace_exec", "{\"workspace_id\":\"feedface\",\"command\":42}");
        assertThat(numberCommand.at("/structuredContent/error/argument").asString()).isEqualTo("command");

        JsonNode typo = call(15, "vm_exec", "{\"vm_id\":\"feedface\",\"cmd\":\"true\"}");
        assertThat(typo.at("/structuredContent/error/message").asString()).startsWith("unknown argument 'cmd' for vm_exec");

        JsonNode reaped = call(16, "vm_reap_expired", "{}");
        assertThat(reaped.at("/structuredContent/count").asInt()).isZero();
        assertThat(call(17, "workspace_list", "{}").at("/structuredContent/count").asInt())
                .as("a refused create leaves no workspace").isZero();
    }

    @Test
    void endsWhenStdinCloses() throws Exception {
        toServer.close();
        serving.get(10, TimeUnit.SECONDS); // serve() returned: the process would now exit
    }
}
