package dev.pyro.mcp.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolError;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** max_output_bytes: its range, its default, and how much a result says was cut. */
class OutputLimitTest {
    static int limit(Map<String, Object> raw) {
        return OutputLimit.of(Arguments.of("workspace_exec", raw, Set.of("max_output_bytes")));
    }

    @Test
    void defaultAndRange() {
        assertThat(limit(Map.of())).isEqualTo(256 * 1024);
        assertThat(limit(Map.of("max_output_bytes", 0))).isZero();
        assertThat(limit(Map.of("max_output_bytes", 1 << 20))).isEqualTo(1 << 20);
        assertThatThrownBy(() -> limit(Map.of("max_output_bytes", (1 << 20) + 1)))
                .isInstanceOfSatisfying(ToolError.class, e -> assertThat(e.argument()).contains("max_output_bytes"))
                .hasMessage("max_output_bytes must be between 0 and 1048576 (the most one MCP message can carry for "
                        + "both streams); got 1048577");
        assertThatThrownBy(() -> limit(Map.of("max_output_bytes", -1))).isInstanceOf(ToolError.class);
    }

    @Test
    void theCounterSaysHowMuchWasCut() {
        OutputLimit.Counter c = new OutputLimit.Counter();
        byte[] chunk = new byte[1000];
        for (int i = 0; i < 5; i++) {
            c.onStdout(chunk, 0, chunk.length);
        }
        c.onStderr(chunk, 0, 10);
        Map<String, Object> json = c.annotate(new LinkedHashMap<>(), new byte[1200], "0123456789".getBytes(
                StandardCharsets.UTF_8));
        assertThat(json).containsEntry("stdout_cut_bytes", 3800L).containsEntry("stderr_cut_bytes", 0L);
    }
}
