package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * TypeScript client over streamable HTTP (src/test/node/http-client.mjs: the bearer token,
 * DNS-rebinding and cross-origin protection, tools, a real VM, a tool error, a cancellation, and
 * allow_host_compat refused, also on a second server that cannot start a VM) and against the MCP
 * conformance suite with the baseline src/test/node/conformance/expected-failures.yml (through
 * src/test/node/auth-proxy.mjs, which adds the token the suite cannot send).
 */
class McpHttpIT {
    private static final Pattern URL = Pattern.compile("serving streamable HTTP at (http://\\S+/mcp)");
    private static final Pattern TOKEN = Pattern.compile("the bearer token is in (\\S+)");
    private static Path home;
    private static Path markerDir;
    private static Server main;
    private static Server noVm;

    /** A running server: its process, endpoint and token. */
    record Server(Process process, String url, String token) {
        void stop() throws InterruptedException {
            process.destroy(); // SIGTERM: the shutdown hook ends calls and kills their VMs
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("server stopped on SIGTERM").isTrue();
        }
    }

    static Server startServer(String name, Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(NodeHarness.LAUNCHER.toString(), "mcp", "serve",
                "--transport", "http", "--port", "0"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("PYRO_HOME", home.toString());
        pb.environment().putAll(env);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process = pb.start();
        process.getOutputStream().close();
        CompletableFuture<String> url = new CompletableFuture<>();
        CompletableFuture<String> tokenFile = new CompletableFuture<>();
        Path log = NodeHarness.MODULE.resolve("target/mcp-http-" + name + ".log");
        Thread reader = new Thread(() -> {
            try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
                    PrintWriter out = new PrintWriter(Files.newBufferedWriter(log), true)) {
                String line;
                while ((line = err.readLine()) != null) {
                    out.println(line);
                    Matcher m = URL.matcher(line);
                    if (m.find()) {
                        url.complete(m.group(1));
                    }
                    Matcher t = TOKEN.matcher(line);
                    if (t.find()) {
                        tokenFile.complete(t.group(1));
                    }
                }
                AssertionError gone = new AssertionError("the server exited before serving; see " + log);
                url.completeExceptionally(gone);
                tokenFile.completeExceptionally(gone);
            } catch (IOException e) {
                url.completeExceptionally(e);
                tokenFile.completeExceptionally(e);
            }
        }, "http-server-stderr-" + name);
        reader.setDaemon(true);
        reader.start();
        String u = url.get(5, TimeUnit.MINUTES);
        assertThat(u).startsWith("http://127.0.0.1:");
        Path file = Path.of(tokenFile.get(1, TimeUnit.MINUTES));
        assertThat(file.getParent()).isEqualTo(home);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        return new Server(process, u, Files.readString(file).strip());
    }

    @BeforeAll
    static void startServers() throws Exception {
        NodeHarness.buildLauncher();
        home = Files.createTempDirectory("pyro-mcp-http-it");
        markerDir = Files.createTempDirectory("pyro-mcp-http-marker");
        main = startServer("server", Map.of(), "--profile", "workspace-full");
        // The same flags where no VM can start (QEMU missing): when host-compat would fall back to the host.
        noVm = startServer("novm", Map.of("PYRO_QEMU", markerDir.resolve("no-such-qemu").toString(),
                "PYRO_NO_AUTO_INSTALL", "1"));
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (Server s : new Server[] {main, noVm}) {
            if (s != null) {
                s.stop();
            }
        }
        assertThat(NodeHarness.qemuProcesses(home.toString())).as("QEMU left behind").isEmpty();
        try (var left = Files.list(home)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("token files are deleted at shutdown")
                    .noneMatch(n -> n.endsWith(".token"));
        }
    }

    @Test
    void typescriptClientOverStreamableHttp() {
        NodeHarness.assumeNodeAndNpm();
        NodeHarness.Result install = NodeHarness.npmCi(NodeHarness.HARNESS);
        assertThat(install.exitCode()).as("npm ci in src/test/node: " + install.stderr()).isZero();
        NodeHarness.runChecks("http-client.mjs", Map.of(
                "PYRO_MCP_URL", main.url(),
                "PYRO_MCP_TOKEN", main.token(),
                "PYRO_MCP_NOVM_URL", noVm.url(),
                "PYRO_MCP_NOVM_TOKEN", noVm.token(),
                "PYRO_MARKER_DIR", markerDir.toString(),
                "PYRO_HOME", home.toString(),
                "PYRO_EXPECTED_TOOLS", NodeHarness.JSON.writeValueAsString(NodeHarness.names(Profile.WORKSPACE_FULL))),
                Duration.ofMinutes(10));
        assertThat(markerDir.resolve("host-compat-marker")).as("a command ran on the host").doesNotExist();
        assertThat(NodeHarness.qemuProcesses(home.toString())).as("QEMU left behind").isEmpty();
    }

    @Test
    void conformanceSuitePassesWithItsBaseline() throws Exception {
        NodeHarness.assumeNodeAndNpm();
        NodeHarness.Result install = NodeHarness.npmCi(NodeHarness.CONFORMANCE);
        Path node = NodeHarness.CONFORMANCE.resolve("node_modules/node/bin/node");
        NodeHarness.requireOrSkip(install.exitCode() == 0 && Files.isExecutable(node),
                "Node 22 (npm package node@22) and @modelcontextprotocol/conformance could not be installed from"
                        + " the npm registry, so the conformance suite cannot run: " + install.stderr().strip());
        Path results = NodeHarness.MODULE.resolve("target/conformance-results");
        NodeHarness.Result r;
        try (NodeHarness.Background proxy = NodeHarness.background(List.of("node",
                NodeHarness.HARNESS.resolve("auth-proxy.mjs").toString()), NodeHarness.HARNESS,
                Map.of("PYRO_MCP_URL", main.url(), "PYRO_MCP_TOKEN", main.token()))) {
            String proxied = NodeHarness.JSON.readTree(proxy.firstLine(Duration.ofSeconds(30))).get("url").asString();
            r = NodeHarness.run(List.of(node.toString(),
                    NodeHarness.CONFORMANCE.resolve("node_modules/@modelcontextprotocol/conformance/dist/index.js").toString(),
                    "server", "--url", proxied,
                    "--expected-failures", NodeHarness.CONFORMANCE.resolve("expected-failures.yml").toString(),
                    "-o", results.toString()), NodeHarness.CONFORMANCE, Map.of(), Duration.ofMinutes(15));
        }
        String summary = r.stdout().substring(Math.max(0, r.stdout().indexOf("=== SUMMARY ===")));
        System.err.println("[conformance]\n" + summary);
        assertThat(r.exitCode()).as("conformance suite against the baseline:\n" + r.stdout() + "\n" + r.stderr()).isZero();
        for (String generic : List.of("server-initialize", "ping", "tools-list", "logging-set-level",
                "server-sse-multiple-streams", "dns-rebinding-protection")) {
            assertThat(summary).contains("✓ " + generic + ":");
        }
    }
}
