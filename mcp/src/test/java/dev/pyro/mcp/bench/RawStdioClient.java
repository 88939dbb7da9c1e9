package dev.pyro.mcp.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The leanest possible MCP client: newline-delimited JSON-RPC over the server's stdin/stdout,
 * one request at a time. Timing it isolates what the server and the pipe cost, without any
 * client library's own overhead.
 */
final class RawStdioClient implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Process process;
    private final OutputStream in;
    private final BufferedReader out;
    private long nextId;

    RawStdioClient(List<String> command, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(
                new java.io.File(System.getProperty("java.io.tmpdir"), "pyro-bench-raw-server.log")));
        pb.environment().putAll(env);
        process = pb.start();
        in = process.getOutputStream();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        request("initialize", Map.of("protocolVersion", "2025-11-25", "capabilities", Map.of(),
                "clientInfo", Map.of("name", "pyro-bench-raw", "version", "1")));
        send(Map.of("jsonrpc", "2.0", "method", "notifications/initialized"));
    }

    static RawStdioClient launch(Path launcher, Map<String, String> env) throws IOException {
        return new RawStdioClient(List.of(launcher.toString(), "mcp", "serve", "--profile", "workspace-full"), env);
    }

    /** Sends a request and returns its response, skipping notifications (progress) in between. */
    JsonNode request(String method, Object params) {
        long id = ++nextId;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jsonrpc", "2.0");
        m.put("id", id);
        m.put("method", method);
        if (params != null) {
            m.put("params", params);
        }
        send(m);
        try {
            while (true) {
                String line = out.readLine();
                if (line == null) {
                    throw new IllegalStateException("the server closed stdout");
                }
                JsonNode r;
                try {
                    r = JSON.readTree(line);
                } catch (tools.jackson.core.JacksonException e) {
                    throw new IllegalStateException("the server wrote a line that is not JSON-RPC on stdout: " + line);
                }
                if (r.has("id") && r.get("id").asLong() == id) {
                    if (r.has("error")) {
                        throw new IllegalStateException("protocol error: " + r.get("error"));
                    }
                    return r.get("result");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tools/call; a tool error throws. */
    JsonNode callTool(String name, Map<String, Object> arguments) {
        JsonNode result = request("tools/call", Map.of("name", name, "arguments", arguments));
        if (result.path("isError").asBoolean(false)) {
            throw new IllegalStateException("tool error: " + result.get("structuredContent"));
        }
        return result;
    }

    private void send(Object message) {
        try {
            in.write(JSON.writeValueAsBytes(message));
            in.write('\n');
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            in.close();
        } catch (IOException ignored) {
            // gone already
        }
        process.waitFor();
    }
}
