package dev.pyro.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CLI front-end on bad input: one line on stderr naming the problem and the fix, exit code
 * 2, nothing on stdout, no stack trace. (These fail before any VM or build is touched.)
 */
class CliUsageTest {

    record Outcome(int exitCode, String out, String err) {
    }

    static Outcome pyro(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new Terminal(out, err, false), args);
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionAndHelp() {
        Outcome version = pyro("--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).matches("pyro \\d+\\.\\d+\\.\\d+\\R");

        Outcome help = pyro("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("run", "doctor", "runtime");
        assertThat(pyro("run", "--help").out()).contains("--vcpu-count", "--mem-mib", "--timeout-seconds",
                "--ttl-seconds", "--allow-host-compat", "--json");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "run debian:12-base                                  | no command given; put it after --",
        "run debian:12-base uname -a                         | put the command after --",
        "run debian:13 -- true                               | unknown environment 'debian:13'; known environments: debian:12, debian:12-base, debian:12-build",
        "run --vcpu-count 0 debian:12-base -- true           | vcpu_count must be between 1 and 32; got 0",
        "run --mem-mib 64 debian:12-base -- true             | mem_mib 64 is below the 128 MiB the guest kernel needs; use 128 or more",
        "run --mem-mib lots debian:12-base -- true           | --mem-mib",
        "run --timeout-seconds 0 debian:12-base -- true      | timeout_seconds must be a positive number of seconds; got 0",
        "run --timeout-seconds -5 debian:12-base -- true     | timeout_seconds must be a positive number of seconds; got -5",
        "run --ttl-seconds 0 debian:12-base -- true          | ttl_seconds must be a positive number of seconds; got 0",
        "run --ttl-seconds 10 --timeout-seconds 20 debian:12-base -- true | raise ttl_seconds or lower timeout_seconds",
        "run --engine host_compat debian:12-base -- true     | it needs allow_host_compat (--allow-host-compat)",
        "run --allow-host 0 debian:12-base -- true           | allow-host port 0 is out of range; use 1 to 65535",
        "run --allow-host web debian:12-base -- true         | --allow-host",
        "run --allow-host -- true                            | --allow-host",
        "run --allow-net 127.0.0.1 debian:12-base -- true    | allow-net 127.0.0.1/32 includes the host itself",
        "run --allow-net fe80::/10 debian:12-base -- true    | allow-net 'fe80::/10' is not an IPv4 range",
        "run --network-policy off --allow-net 10.0.0.0/8 debian:12-base -- true | allow-net needs a network",
        "mcp serve --allow-net 169.254.0.0/16x               | --allow-net '169.254.0.0/16x' is not an IPv4 range",
        "mcp serve --allow-net 0.0.0.0/0                     | includes the host itself",
        "frobnicate                                          | Unmatched argument",
    })
    void badInputIsOneLineAndExitCode2(String args, String expected) {
        Outcome o = pyro(args.trim().split("\\s+"));
        assertThat(o.exitCode()).as(o.err()).isEqualTo(2);
        assertThat(o.out()).isEmpty();
        assertThat(o.err()).startsWith("pyro: error: ").contains(expected.trim());
        assertThat(o.err().strip().lines()).hasSize(1);
        assertThat(o.err()).doesNotContain("Exception", "\tat ");
    }
}
