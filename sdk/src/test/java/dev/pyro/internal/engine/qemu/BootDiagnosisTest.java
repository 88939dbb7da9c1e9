package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootDiagnosisTest {
    @TempDir
    Path tmp;

    static final Path ROOT = Path.of("/images/debian.ext4");
    static final Path KERNEL = Path.of("/k/bzImage");

    BootDiagnosis.Finding console(String text) throws Exception {
        Path log = Files.writeString(tmp.resolve("console.log"), text);
        return BootDiagnosis.fromConsole(log, ROOT, KERNEL);
    }

    @Test
    void rootThatDoesNotMountPointsAtTheImage() throws Exception {
        BootDiagnosis.Finding f = console("Linux version 6.1\r\nsome line\n"
                + "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(254,0)\n"
                + "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.192 #1\n");
        assertThat(f.line()).isEqualTo("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(254,0)");
        assertThat(f.hint()).contains("/images/debian.ext4", "looks corrupt", "pyro runtime build-rootfs");
    }

    @Test
    void missingAgentSaysTheImageLacksIt() throws Exception {
        BootDiagnosis.Finding f = console("Run /usr/sbin/pyro-agent as init process\n"
                + "Requested init /usr/sbin/pyro-agent failed (error -2).\n"
                + "Kernel panic - not syncing: Requested init /usr/sbin/pyro-agent failed (error -2).\n");
        assertThat(f.line()).startsWith("Requested init /usr/sbin/pyro-agent failed");
        assertThat(f.hint()).contains("no working /usr/sbin/pyro-agent");
    }

    @Test
    void kvmFailureWinsOverThePanicItCauses() throws Exception {
        BootDiagnosis.Finding f = console("Linux version\nKVM internal error. Suberror: 1\nemulation failure\n"
                + "Kernel panic - not syncing: Fatal exception\n");
        assertThat(f.line()).isEqualTo("KVM internal error. Suberror: 1");
        assertThat(f.hint()).contains("tcg");
    }

    @Test
    void otherwiseTheLastAgentLineOrTheLastLine() throws Exception {
        assertThat(console("a\npyro-agent: channel ready on /dev/vport1p1\nb\n").line())
                .isEqualTo("pyro-agent: channel ready on /dev/vport1p1");
        assertThat(console("a\n\u001b[0mlast line \n\n").line()).isEqualTo("[0mlast line");
        assertThat(console("").hint()).contains("printed nothing", "/k/bzImage");
        assertThat(BootDiagnosis.fromConsole(tmp.resolve("missing"), ROOT, KERNEL).line()).isEmpty();
    }

    @Test
    void qemuErrorSkipsOurCommandLineHeader() throws Exception {
        Path log = Files.writeString(tmp.resolve("qemu.log"), "# /usr/bin/qemu-system-x86_64 -M microvm\n"
                + "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n"
                + "qemu-system-x86_64: ../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion failed.\n");
        assertThat(BootDiagnosis.qemuError(log)).contains("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69");
        Path killed = Files.writeString(tmp.resolve("q2.log"), "# cmd\nqemu-system-x86_64: terminating on signal 15\n");
        assertThat(BootDiagnosis.qemuError(killed)).isEmpty();
    }
}
