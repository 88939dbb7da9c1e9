package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official MCP TypeScript client drives the real {@code pyro mcp serve} (launched through
 * the repository's launcher, as a chat host would) over stdio: tools/list for every profile,
 * {@code vm_run} in a real VM with progress, tool errors for bad input, the cancellation of a
 * running {@code sleep 60}, the workspace loop (create from a host directory, exec, sync push,
 * export, status, logs, a cancelled exec whose guest process must die, delete) and the client
 * going away mid-run. See src/test/node/stdio-client.mjs.
 */
class McpStdioClientIT {
    @TempDir
    Path home;

    @Test
    void typescriptClientOverStdio() {
        NodeHarness.assumeNodeAndNpm();
        NodeHarness.Result install = NodeHarness.npmCi(NodeHarness.HARNESS);
        assertThat(install.exitCode()).as("npm ci in src/test/node: " + install.stderr()).isZero();
        NodeHarness.buildLauncher();
        NodeHarness.runChecks("stdio-client.mjs", Map.of(
                "PYRO_LAUNCHER", NodeHarness.LAUNCHER.toString(),
                "PYRO_HOME", home.toString(),
                "PYRO_EXPECTED_TOOLS", NodeHarness.expectedToolsByProfile(),
                "PYRO_SERVER_STDERR", NodeHarness.MODULE.resolve("target/mcp-stdio-server.log").toString()),
                Duration.ofMinutes(20));
        assertThat(NodeHarness.qemuProcesses(home.toString())).as("QEMU left behind").isEmpty();
    }
}
