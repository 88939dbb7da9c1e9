package dev.pyro.internal.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A guest agent that answers HELLO and PING and then attacks the host's client
 * ({@link HostileAgent}): ten million empty STDOUT frames, ten million one-byte frames against
 * a stuck listener, ten million unasked PONGs, an export and a command that trickle a byte at
 * a time, and a reader whose frame handling throws. Each runs in a JVM of its own with a
 * 96 MiB heap ({@link HostileAgentMain}): heap growth must stay under 64 MB, the calls must fail
 * promptly with a message saying what the agent did (every pending call at once when the
 * connection ends), and a new connection must work.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class HostileAgentTest {
    @ParameterizedTest
    @ValueSource(strings = {"empty-frames", "tiny-frames", "idle-flood", "trickle", "throwing-handler"})
    void theClientSurvives(String scenario) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString());
        Process p = new ProcessBuilder(List.of(java, "-Xmx96m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), HostileAgentMain.class.getName(), scenario))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(out).isTrue();
        String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse(null);
        assertThat(line).as("the child's output:\n" + out).isNotNull();
        System.out.println("[hostile-agent] " + scenario + ": " + line);
        String[] f = line.split(" ", 4);
        long growthMiB = Long.parseLong(f[2]);
        assertThat(f[3]).as(out).startsWith("OK");
        assertThat(growthMiB).as(line).isLessThan(64);
    }
}
