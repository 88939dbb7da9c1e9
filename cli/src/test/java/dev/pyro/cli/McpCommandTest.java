package dev.pyro.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code pyro mcp serve}'s flags: help, and bad values refused before anything starts. */
class McpCommandTest {
    @Test
    void helpListsTheFlags() {
        CliUsageTest.Outcome help = CliUsageTest.pyro("mcp", "serve", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--profile", "--transport", "--host", "--port", "--allow-path",
                "--allow-host-compat", "--token-file", "--allow-origin", "stdout carries only the protocol");
        assertThat(CliUsageTest.pyro("--help").out()).contains("mcp");
        assertThat(CliUsageTest.pyro("mcp").out()).contains("serve", "claude mcp add pyro");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "mcp serve --profile everything   | unknown profile 'everything'; use one of: vm-run, workspace-core, workspace-full",
        "mcp serve --transport sse        | unknown transport 'sse'; use stdio or http",
        "mcp serve --port 70000           | --port must be between 0 and 65535",
        "mcp serve --port many            | --port",
        "mcp serve extra                  | Unmatched argument",
        "mcp serve --allow-path /no/such  | --allow-path /no/such is not an existing directory",
        "mcp serve --transport http --allow-origin http://x/y | --allow-origin: an origin is scheme://host[:port]",
        "mcp serve --allow-origin null    | --allow-origin: an origin is scheme://host[:port]",
        "mcp serve --token-file /etc/hostname | --token-file is for --transport http",
    })
    void badFlagsAreOneLineAndExitCode2(String args, String expected) {
        CliUsageTest.Outcome o = CliUsageTest.pyro(args.trim().split("\\s+"));
        assertThat(o.exitCode()).as(o.err()).isEqualTo(2);
        assertThat(o.out()).isEmpty();
        assertThat(o.err()).startsWith("pyro: error: ").contains(expected.trim());
        assertThat(o.err().strip().lines()).hasSize(1);
    }
}
