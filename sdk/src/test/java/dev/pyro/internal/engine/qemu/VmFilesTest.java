package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmFilesTest {
    @TempDir
    Path tmp;

    @Test
    void shortRunDirHoldsEverything() throws Exception {
        Path dir = tmp.resolve("vm");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("agent.sock"), "stale");
        VmFiles f = VmFiles.create(dir, "vm1");
        assertThat(f.agentSocket()).isEqualTo(dir.resolve("agent.sock")).doesNotExist();
        assertThat(f.qmpSocket().getParent()).isEqualTo(dir);
        assertThat(f.consoleLog()).isEqualTo(dir.resolve("console.log"));
        assertThat(f.privateSocketDir()).isEmpty();
    }

    @Test
    void deepRunDirMovesSocketsToAPrivateShortDir() throws Exception {
        Path dir = tmp.resolve("x".repeat(100));
        VmFiles f = VmFiles.create(dir, "vmdeep-" + ProcessHandle.current().pid());
        Path socketDir = f.privateSocketDir().orElseThrow();
        try {
            assertThat(f.agentSocket().getParent()).isEqualTo(socketDir);
            assertThat(f.agentSocket().toString().length()).isLessThanOrEqualTo(VmFiles.MAX_SOCKET_PATH);
            assertThat(socketDir).isDirectory();
            assertThat((Integer) Files.getAttribute(socketDir.getParent(), "unix:mode") & 0777).isEqualTo(0700);
            assertThat(f.consoleLog().getParent()).isEqualTo(dir.toAbsolutePath());
        } finally {
            f.removeSockets();
        }
        assertThat(socketDir).doesNotExist();
    }
}
