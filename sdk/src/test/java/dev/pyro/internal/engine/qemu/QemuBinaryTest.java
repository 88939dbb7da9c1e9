package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyro.PyroException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuBinaryTest {
    @TempDir
    Path tmp;

    @Test
    void findsTheInstalledQemuOnPathOrThroughPyroQemu() {
        Path installed = Path.of("/usr/bin/qemu-system-x86_64");
        assumeTrue(Files.isExecutable(installed), "qemu-system-x86 is not installed");
        QemuBinary onPath = QemuBinary.locate(Map.of("PATH", tmp + ":/usr/bin"));
        assertThat(onPath.path()).isEqualTo(installed);
        assertThat(onPath.version()).matches("\\d+\\.\\d+(\\.\\d+)?");
        assertThat(onPath.versionLine()).startsWith("QEMU emulator version " + onPath.version());
        QemuBinary viaEnv = QemuBinary.locate(Map.of("PATH", tmp.toString(), "PYRO_QEMU", installed.toString()));
        assertThat(viaEnv).isEqualTo(onPath);
    }

    @Test
    void missingQemuSaysHowToInstallIt() {
        assertThatThrownBy(() -> QemuBinary.locate(Map.of("PATH", tmp.toString())))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP);
                    assertThat(e.getMessage()).contains("not found on PATH", "apt-get install qemu-system-x86", "PYRO_QEMU");
                });
        assertThatThrownBy(() -> QemuBinary.locate(Map.of("PYRO_QEMU", tmp.resolve("nope").toString())))
                .isInstanceOf(PyroException.class).hasMessageContaining("PYRO_QEMU=").hasMessageContaining("unset it");
    }

    @Test
    void aBinaryThatIsNotQemuIsRejected() {
        assertThatThrownBy(() -> QemuBinary.locate(Map.of("PYRO_QEMU", "/bin/true")))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP);
                    assertThat(e.getMessage()).contains("/bin/true does not run");
                });
    }
}
