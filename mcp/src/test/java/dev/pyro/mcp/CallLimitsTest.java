package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.PyroException;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server's own limits: a bounded pool of call threads (a flood of calls is refused, naming
 * the limit and its setting, and the server serves on), and results that never exceed one MCP
 * message nor carry a large output twice.
 */
class CallLimitsTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A tool whose calls wait until the test lets them go. */
    static final class Waiting implements PyroTool {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch started = new CountDownLatch(2);

        @Override
        public String name() {
            return "wait";
        }

        @Override
        public McpSchema.Tool definition() {
            return McpSchema.Tool.builder().name("wait").description("waits")
                    .inputSchema(Schemas.object(Schemas.properties(), List.of())).build();
        }

        @Override
        public Map<String, Object> call(Arguments arguments, ToolContext context) {
            started.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Map.of("done", true);
        }
    }

    @Test
    void callsBeyondThePoolAreRefusedNamingTheLimitAndTheServerServesOn() throws Exception {
        ExecutorService pool = PyroMcpServer.callPool(2);
        Waiting tool = new Waiting();
        ToolDispatcher dispatcher = new ToolDispatcher(new ToolContext(null), new CallRegistry(), pool, 2);
        var handler = dispatcher.specification(tool).callHandler();
        McpSchema.CallToolRequest request = new McpSchema.CallToolRequest("wait", Map.of());
        List<CompletableFuture<McpSchema.CallToolResult>> running = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            running.add(handler.apply(null, request).toFuture());
        }
        assertThat(tool.started.await(10, TimeUnit.SECONDS)).isTrue();
        McpSchema.CallToolResult refused = handler.apply(null, request).block();
        assertThat(refused.isError()).isTrue();
        Map<?, ?> error = (Map<?, ?>) ((Map<?, ?>) refused.structuredContent()).get("error");
        assertThat(error.get("kind")).isEqualTo("invalid_argument");
        assertThat((String) error.get("message")).isEqualTo("too many tool calls at once: 2 are running, the server's "
                + "limit; retry when one has finished (raise the limit with PYRO_MCP_MAX_CALLS (now 2))");
        tool.release.countDown();
        for (CompletableFuture<McpSchema.CallToolResult> f : running) {
            assertThat(f.get(10, TimeUnit.SECONDS).isError()).isFalse();
        }
        // The threads are free again: the next call runs.
        McpSchema.CallToolResult after = handler.apply(null, request).block();
        assertThat(after.isError()).isFalse();
        pool.shutdownNow();
    }

    @Test
    void theLimitComesFromTheEnvironment() {
        assertThat(PyroMcpServer.maxCalls(Map.of())).isEqualTo(16);
        assertThat(PyroMcpServer.maxCalls(Map.of("PYRO_MCP_MAX_CALLS", "4"))).isEqualTo(4);
        assertThatThrownBy(() -> PyroMcpServer.maxCalls(Map.of("PYRO_MCP_MAX_CALLS", "0")))
                .isInstanceOf(PyroException.class)
                .hasMessage("PYRO_MCP_MAX_CALLS='0' is not a number of calls; use a whole number from 1 to 1024 "
                        + "(default 16)");
    }

    /** A command result as the exec tools build it, with outputs of {@code n} bytes each. */
    static Map<String, Object> commandResult(byte[] out) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workspace_id", "a1b2c3d4");
        m.put("exit_code", 0);
        m.put("stdout", new String(out, StandardCharsets.UTF_8));
        m.put("stderr", new String(out, StandardCharsets.UTF_8));
        m.put("stdout_base64", Base64.getEncoder().encodeToString(out));
        m.put("stderr_base64", Base64.getEncoder().encodeToString(out));
        m.put("stdout_truncated", true);
        m.put("stderr_truncated", true);
        m.put("stdout_cut_bytes", 199_000_000L);
        m.put("stderr_cut_bytes", 0L);
        return m;
    }

    /**
     * The worst output for JSON: 1 MiB (the most max_output_bytes allows) of each stream, every
     * byte a control character (six bytes of JSON each, plus base64 as it is not UTF-8 text).
     * The result fits one message, and its text block does not repeat the outputs.
     */
    @Test
    void theLargestResultFitsOneMessageAndIsNotSentTwice() {
        byte[] worst = new byte[1 << 20];
        java.util.Arrays.fill(worst, (byte) 1);
        Map<String, Object> json = commandResult(worst);
        McpSchema.CallToolResult r = ToolResults.success(json);
        String message = JSON.writeValueAsString(r);
        assertThat(message.length()).isLessThan(ToolResults.MESSAGE_LIMIT);
        String text = ((McpSchema.TextContent) r.content().get(0)).text();
        assertThat(text.length()).isLessThan(256 * 1024); // two 16 KiB previews, six characters a byte
        assertThat(text).contains("more characters of stdout in this result's structuredContent")
                .doesNotContain("stdout_base64");
        assertThat(r.structuredContent()).isEqualTo(json);
    }

    @Test
    void smallResultsAreCopiedWhole() {
        Map<String, Object> json = commandResult("hello\n".getBytes(StandardCharsets.UTF_8));
        McpSchema.CallToolResult r = ToolResults.success(json);
        assertThat(((McpSchema.TextContent) r.content().get(0)).text()).isEqualTo(JSON.writeValueAsString(json));
    }

    @Test
    void aResultOverTheMessageLimitIsAToolError() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("stdout", "\u0001".repeat(3 << 20)); // 18 MiB of JSON
        McpSchema.CallToolResult r = ToolResults.success(json);
        assertThat(r.isError()).isTrue();
        assertThat(JSON.writeValueAsString(r.structuredContent())).contains("more than one MCP message can carry");
    }
}
