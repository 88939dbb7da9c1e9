package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class ArgumentsTest {
    private static final Set<String> KNOWN = Set.of("environment", "command", "timeout_seconds", "allow_host_compat");

    private static Arguments args(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return Arguments.of("vm_run", m, KNOWN);
    }

    private static void refused(ThrowingCallable call, String argument, String... fragments) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(ToolError.class, e -> {
                    assertThat(e.argument()).contains(argument);
                    assertThat(e.getMessage()).doesNotContain("\n").contains(fragments);
                });
    }

    @Test
    void unknownArgumentIsNamedWithTheValidOnes() {
        refused(() -> args("timeout", 5), "timeout",
                "unknown argument 'timeout' for vm_run; it takes: allow_host_compat, command, environment, timeout_seconds");
    }

    @Test
    void nullMeansAbsent() {
        Arguments a = args("timeout_seconds", null, "allow_host_compat", null);
        assertThat(a.integer("timeout_seconds", 30, "seconds")).isEqualTo(30);
        assertThat(a.bool("allow_host_compat", false)).isFalse();
        assertThat(Arguments.of("vm_run", null, KNOWN).has("command")).isFalse();
    }

    @Test
    void requiredStringMissingWrongTypeOrBlank() {
        refused(() -> args().requiredString("environment", "debian:12-base"), "environment",
                "missing required argument 'environment'", "\"debian:12-base\"");
        refused(() -> args("environment", 12).requiredString("environment", "debian:12-base"), "environment",
                "must be a string", "got the number 12");
        refused(() -> args("environment", "  ").requiredString("environment", "debian:12-base"), "environment",
                "is empty");
        assertThat(args("environment", "debian:12-base").requiredString("environment", "x")).isEqualTo("debian:12-base");
    }

    @Test
    void integersAcceptIntegralNumbersOnly() {
        assertThat(args("timeout_seconds", 45).integer("timeout_seconds", 30, "seconds")).isEqualTo(45);
        assertThat(args("timeout_seconds", 45L).integer("timeout_seconds", 30, "seconds")).isEqualTo(45);
        assertThat(args("timeout_seconds", 45.0).integer("timeout_seconds", 30, "seconds")).isEqualTo(45);
        assertThat(args("timeout_seconds", new BigDecimal("45.00")).integer("timeout_seconds", 30, "seconds"))
                .isEqualTo(45);
        // Negative values pass here: the SDK checks ranges, with the same argument names.
        assertThat(args("timeout_seconds", -1).integer("timeout_seconds", 30, "seconds")).isEqualTo(-1);
        refused(() -> args("timeout_seconds", "30").integer("timeout_seconds", 30, "seconds"), "timeout_seconds",
                "must be an integer (seconds), e.g. 30", "got the string \"30\"");
        refused(() -> args("timeout_seconds", 1.5).integer("timeout_seconds", 30, "seconds"), "timeout_seconds",
                "got the fraction 1.5");
        refused(() -> args("timeout_seconds", true).integer("timeout_seconds", 30, "seconds"), "timeout_seconds",
                "got the boolean true");
        refused(() -> args("timeout_seconds", 1L << 40).integer("timeout_seconds", 30, "seconds"), "timeout_seconds",
                "out of range");
        refused(() -> args("timeout_seconds", Double.NaN).integer("timeout_seconds", 30, "seconds"), "timeout_seconds",
                "must be an integer");
    }

    @Test
    void booleansAreBooleans() {
        assertThat(args("allow_host_compat", true).bool("allow_host_compat", false)).isTrue();
        refused(() -> args("allow_host_compat", "true").bool("allow_host_compat", false), "allow_host_compat",
                "must be true or false", "got the string \"true\"");
    }

    @Test
    void commandStringRunsInALoginShell() {
        assertThat(args("command", "uname -r | tr a-z A-Z").command("command"))
                .containsExactly("sh", "-lc", "uname -r | tr a-z A-Z");
    }

    @Test
    void commandArrayIsAnExactArgv() {
        assertThat(args("command", List.of("printf", "%s\\n", "a b")).command("command"))
                .containsExactly("printf", "%s\\n", "a b");
    }

    @Test
    void badCommandsNameTheArgumentAndBothForms() {
        refused(() -> args().command("command"), "command", "missing required argument 'command'",
                "\"uname -a\"", "[\"uname\", \"-a\"]");
        refused(() -> args("command", 5).command("command"), "command",
                "must be a string or an array of strings; got the number 5");
        refused(() -> args("command", Map.of("cmd", "ls")).command("command"), "command", "got an object");
        refused(() -> args("command", "").command("command"), "command", "is empty");
        refused(() -> args("command", List.of()).command("command"), "command", "empty array");
        refused(() -> args("command", List.of("ls", 3)).command("command"), "command", "element 1 is the number 3");
        refused(() -> args("command", List.of("", "x")).command("command"), "command", "empty program name");
    }
}
