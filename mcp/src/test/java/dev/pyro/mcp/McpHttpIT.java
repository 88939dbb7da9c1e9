package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code pyro mcp serve --transport http} (the real launcher) against the official MCP
 * TypeScript client over streamable HTTP (src/test/node/http-client.mjs: DNS-rebinding
 * protection, tools, a real VM, a tool error, a cancellation) and against the MCP conformance
 * suite with the baseline src/test/node/conformance/expected-failures.yml.
 */
class McpHttpIT {
    private static final Pattern URL = Pattern.compile("serving streamable HTTP at (http://\\S+/mcp)");
    private static Path home;
    private static Process server;
    private static String url;

    @BeforeAll
    static void startServer() throws Exception {
        NodeHarness.buildLauncher();
        home = Files.createTempDirectory("pyro-mcp-http-it");
        ProcessBuilder pb = new ProcessBuilder(NodeHarness.LAUNCHER.toString(), "mcp", "serve", "--transport", "http",
                "--port", "0", "--profile", "workspace-full");
        pb.environment().put("PYRO_HOME", home.toString());
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        server = pb.start();
        server.getOutputStream().close();
        CompletableFuture<String> found = new CompletableFuture<>();
        Path log = NodeHarness.MODULE.resolve("target/mcp-http-server.log");
        Thread reader = new Thread(() -> {
            try (BufferedReader err = new BufferedReader(new InputStreamReader(server.getErrorStream(), StandardCharsets.UTF_8));
                    PrintWriter out = new PrintWriter(Files.newBufferedWriter(log), true)) {
                String line;
                while ((line = err.readLine()) != null) {
                    out.println(line);
                    Matcher m = URL.matcher(line);
                    if (m.find()) {
                        found.complete(m.group(1));
                    }
                }
                found.completeExceptionally(new AssertionError("the server exited before serving; see " + log));
            } catch (IOException e) {
                found.completeExceptionally(e);
            }
        }, "http-server-stderr");
        reader.setDaemon(true);
        reader.start();
        url = found.get(5, TimeUnit.MINUTES);
        assertThat(url).startsWith("http://127.0.0.1:");
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server == null) {
            return;
        }
        server.destroy(); // SIGTERM: the shutdown hook ends calls and kills their VMs
        assertThat(server.waitFor(30, TimeUnit.SECONDS)).as("server stopped on SIGTERM").isTrue();
        assertThat(NodeHarness.qemuProcesses(home.toString())).as("QEMU left behind").isEmpty();
    }

    @Test
    void typescriptClientOverStreamableHttp() {
        NodeHarness.assumeNodeAndNpm();
        NodeHarness.Result install = NodeHarness.npmCi(NodeHarness.HARNESS);
        assertThat(install.exitCode()).as("npm ci in src/test/node: " + install.stderr()).isZero();
        NodeHarness.runChecks("http-client.mjs", Map.of(
                "PYRO_MCP_URL", url,
                "PYRO_HOME", home.toString(),
                "PYRO_EXPECTED_TOOLS", NodeHarness.JSON.writeValueAsString(NodeHarness.names(Profile.WORKSPACE_FULL))),
                Duration.ofMinutes(10));
        assertThat(NodeHarness.qemuProcesses(home.toString())).as("QEMU left behind").isEmpty();
    }

    @Test
    void conformanceSuitePassesWithItsBaseline() {
        NodeHarness.assumeNodeAndNpm();
        NodeHarness.Result install = NodeHarness.npmCi(NodeHarness.CONFORMANCE);
        Path node = NodeHarness.CONFORMANCE.resolve("node_modules/node/bin/node");
        NodeHarness.requireOrSkip(install.exitCode() == 0 && Files.isExecutable(node),
                "Node 22 (npm package node@22) and @modelcontextprotocol/conformance could not be installed from"
                        + " the npm registry, so the conformance suite cannot run: " + install.stderr().strip());
        Path results = NodeHarness.MODULE.resolve("target/conformance-results");
        NodeHarness.Result r = NodeHarness.run(List.of(node.toString(),
                NodeHarness.CONFORMANCE.resolve("node_modules/@modelcontextprotocol/conformance/dist/index.js").toString(),
                "server", "--url", url,
                "--expected-failures", NodeHarness.CONFORMANCE.resolve("expected-failures.yml").toString(),
                "-o", results.toString()), NodeHarness.CONFORMANCE, Map.of(), Duration.ofMinutes(15));
        String summary = r.stdout().substring(Math.max(0, r.stdout().indexOf("=== SUMMARY ===")));
        System.err.println("[conformance]\n" + summary);
        assertThat(r.exitCode()).as("conformance suite against the baseline:\n" + r.stdout() + "\n" + r.stderr()).isZero();
        for (String generic : List.of("server-initialize", "ping", "tools-list", "logging-set-level",
                "server-sse-multiple-streams", "dns-rebinding-protection")) {
            assertThat(summary).contains("✓ " + generic + ":");
        }
    }
}
