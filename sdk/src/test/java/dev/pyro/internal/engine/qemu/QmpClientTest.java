package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyro.PyroException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** QMP against a real QEMU running an empty machine ({@code -M none}: no guest, no kernel). */
class QmpClientTest {
    @TempDir
    Path tmp;

    QemuBinary qemu;
    Process process;
    QmpClient qmp;

    @BeforeEach
    void start() throws Exception {
        try {
            qemu = QemuBinary.locate();
        } catch (PyroException e) {
            assumeTrue(false, e.getMessage());
        }
        Path socket = tmp.resolve("qmp.sock");
        process = new ProcessBuilder(qemu.path().toString(), "-M", "none", "-nodefaults", "-no-user-config",
                "-display", "none", "-S", "-qmp", "unix:" + socket + ",server=on,wait=off")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("qemu.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket));
        qmp = Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> QmpClient.connect(socket, Duration.ofSeconds(5)), q -> q != null);
    }

    @AfterEach
    void stop() throws Exception {
        if (qmp != null) {
            qmp.close();
        }
        if (process != null) {
            process.destroyForcibly().waitFor();
        }
    }

    @Test
    void greetingStatusErrorsAndQuit() throws Exception {
        assertThat(qmp.qemuVersion()).isEqualTo(qemu.version());
        assertThat(qmp.queryStatus(Duration.ofSeconds(5))).isEqualTo("prelaunch");
        JsonNode name = qmp.execute("query-name", Map.of(), Duration.ofSeconds(5));
        assertThat(name.isObject()).isTrue();
        assertThatThrownBy(() -> qmp.execute("no-such-command", Map.of(), Duration.ofSeconds(5)))
                .isInstanceOf(QmpClient.QmpException.class).hasMessageContaining("CommandNotFound");
        assertThatThrownBy(() -> qmp.execute("query-status", Map.of("bogus", 1), Duration.ofSeconds(5)))
                .isInstanceOf(QmpClient.QmpException.class).hasMessageContaining("GenericError");

        qmp.quit(Duration.ofSeconds(5));
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        JsonNode shutdown = qmp.awaitEvent("SHUTDOWN", Duration.ofSeconds(5));
        assertThat(shutdown).isNotNull();
        assertThat(shutdown.path("data").path("reason").asString()).isEqualTo("host-qmp-quit");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !qmp.isOpen());
        assertThatThrownBy(() -> qmp.queryStatus(Duration.ofSeconds(1))).isInstanceOf(QmpClient.QmpException.class);
    }
}
