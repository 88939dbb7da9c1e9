package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.Accel;
import dev.pyro.OutputListener;
import dev.pyro.ProgressEvent;
import dev.pyro.PyroException;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.guest.ExecRequest;
import dev.pyro.internal.guest.ExecResult;
import dev.pyro.internal.guest.Execution;
import dev.pyro.testsupport.GuestImages;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots real VMs: QEMU microvm under software emulation, the test kernel and a root image with
 * the agent built from source (see {@link GuestImages} for the settings).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class QemuEngineIT {
    static QemuEngine engine;
    static Path kernel;
    static Path root;

    @TempDir
    Path tmp;

    final List<ProgressEvent> progress = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void setUp() {
        kernel = GuestImages.kernel();
        root = GuestImages.rootImage();
        engine = new QemuEngine(QemuBinary.locate());
    }

    VmSpec spec(String id, Path runDir, Optional<Path> disk, Accel accel) {
        return new VmSpec(id, runDir, kernel, root, disk, 1, 512, accel, true, Duration.ofMinutes(10),
                Duration.ofSeconds(60));
    }

    static final class Capture implements OutputListener {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        @Override
        public void onStdout(byte[] data, int offset, int length) {
            out.write(data, offset, length);
        }

        @Override
        public void onStderr(byte[] data, int offset, int length) {
            err.write(data, offset, length);
        }

        String out() {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    static String run(QemuVm vm, String script) throws Exception {
        Capture c = new Capture();
        ExecResult r = vm.guest().exec(ExecRequest.of("sh", "-c", script).withTimeout(Duration.ofSeconds(60)), c);
        assertThat(r.exitCode()).as("exit code of %s (stderr: %s)", script, c.err).isZero();
        return c.out();
    }

    static boolean processAlive(long pid) {
        return Files.exists(Path.of("/proc", Long.toString(pid)));
    }

    @Test
    void bootsRunsCommandsAndShutsDownCleanly() throws Exception {
        Path runDir = tmp.resolve("vm1");
        long start = System.nanoTime();
        QemuVm vm = engine.boot(spec("it1", runDir, Optional.empty(), Accel.TCG), progress::add);
        long pid = vm.pid();
        try {
            Duration bootTime = Duration.ofNanos(System.nanoTime() - start);
            assertThat(vm.hello().protocolVersion()).isEqualTo(1);
            assertThat(vm.hello().kernelRelease()).isNotBlank();
            assertThat(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")))
                    .contains("qemu-system-x86_64");
            assertThat(progress).extracting(ProgressEvent::task).containsOnly("boot");
            assertThat(vm.qmp().orElseThrow().queryStatus(Duration.ofSeconds(5))).isEqualTo("running");

            assertThat(run(vm, "uname -r").strip()).isEqualTo(vm.hello().kernelRelease());
            String cmdline = run(vm, "cat /proc/cmdline");
            assertThat(cmdline).contains("init=/usr/sbin/pyro-agent", "pyro.upper=tmpfs", "pyro.ephemeral=1",
                    "pyro.ttl=600");
            // The overlay root is writable although the image is read-only.
            assertThat(run(vm, "echo hi > /etc/pyro-test && cat /etc/pyro-test")).isEqualTo("hi\n");
            assertThat(run(vm, "test -d /workspace && echo yes")).isEqualTo("yes\n");
            // The guest clock was set from HELLO.
            long guestEpoch = Long.parseLong(run(vm, "date +%s").strip());
            assertThat(Math.abs(guestEpoch - System.currentTimeMillis() / 1000)).isLessThan(30);

            Capture c = new Capture();
            ExecResult r = vm.guest().exec(ExecRequest.of("sh", "-c", "echo out; echo err >&2; exit 3"), c);
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(c.out()).isEqualTo("out\n");
            assertThat(c.err.toString(StandardCharsets.UTF_8)).isEqualTo("err\n");
            System.err.println("boot to HELLO_OK: " + bootTime.toMillis() + " ms");

            long t = System.nanoTime();
            vm.shutdown(Duration.ofSeconds(30));
            Duration teardown = Duration.ofNanos(System.nanoTime() - t);
            System.err.println("shutdown: " + teardown.toMillis() + " ms");
            assertThat(vm.exitStatus()).contains(0);
            assertThat(teardown).isLessThan(Duration.ofSeconds(10));
        } finally {
            vm.close();
        }
        assertThat(processAlive(pid)).isFalse();
        assertThat(vm.files().agentSocket()).doesNotExist();
        assertThat(vm.files().qmpSocket()).doesNotExist();
        assertThat(vm.consoleLog()).exists();
        assertThat(Files.readString(vm.consoleLog())).contains("pyro-agent");
    }

    @Test
    void writableDiskKeepsFilesAcrossBoots() throws Exception {
        Path disk = tmp.resolve("data.ext4");
        GuestImagesAccess.mkfs(disk, "256M");
        QemuVm vm = engine.boot(spec("it2", tmp.resolve("vm2"), Optional.of(disk), Accel.TCG), progress::add);
        try {
            assertThat(run(vm, "cat /proc/cmdline")).contains("pyro.upper=/dev/vdb");
            run(vm, "echo kept > /workspace/file && echo etc > /etc/pyro-kept");
            vm.shutdown(Duration.ofSeconds(30));
            assertThat(vm.exitStatus()).contains(0);
        } finally {
            vm.close();
        }
        QemuVm again = engine.boot(spec("it2b", tmp.resolve("vm2b"), Optional.of(disk), Accel.TCG), progress::add);
        try {
            assertThat(run(again, "cat /workspace/file /etc/pyro-kept")).isEqualTo("kept\netc\n");
        } finally {
            again.shutdown(Duration.ofSeconds(30));
        }
    }

    @Test
    void twoVmsShareOneRootImage() throws Exception {
        QemuVm a = engine.boot(spec("it3a", tmp.resolve("a"), Optional.empty(), Accel.TCG), progress::add);
        try (a) {
            QemuVm b = engine.boot(spec("it3b", tmp.resolve("b"), Optional.empty(), Accel.TCG), progress::add);
            try (b) {
                run(a, "echo a > /tmp/who");
                run(b, "echo b > /tmp/who");
                assertThat(run(a, "cat /tmp/who")).isEqualTo("a\n");
                assertThat(run(b, "cat /tmp/who")).isEqualTo("b\n");
            }
        }
    }

    @Test
    void corruptRootImageFailsWithOneLineThatSaysHowToRebuild() throws Exception {
        Path corrupt = tmp.resolve("corrupt.ext4");
        byte[] junk = new byte[64 * 1024 * 1024];
        new Random(1).nextBytes(junk);
        Files.write(corrupt, junk);
        VmSpec spec = new VmSpec("it4", tmp.resolve("vm4"), kernel, corrupt, Optional.empty(), 1, 256, Accel.TCG, true,
                Duration.ZERO, Duration.ofSeconds(60));
        long start = System.nanoTime();
        assertThatThrownBy(() -> engine.boot(spec, progress::add)).isInstanceOfSatisfying(PyroException.class, e -> {
            assertThat(e.kind()).isEqualTo(PyroException.Kind.VM_FAILED);
            assertThat(e.getMessage()).doesNotContain("\n")
                    .contains("looks corrupt", "pyro runtime build-rootfs", tmp.resolve("vm4/console.log").toString())
                    .containsPattern("VFS|EXT4");
            System.err.println("corrupt image: " + e.getMessage());
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        assertThat(tmp.resolve("vm4/agent.sock")).doesNotExist();
        assertThat(tmp.resolve("vm4/qmp.sock")).doesNotExist();
        assertThat(Files.readString(tmp.resolve("vm4/console.log"))).contains("Kernel panic");
    }

    @Test
    void qemuErrorIsReportedWithItsLine() {
        // An option QEMU itself refuses at start, the same on every host (KVM's failure modes
        // differ from host to host, host-facts.md; KvmProbeIT covers them).
        VmSpec spec = new VmSpec("it5", tmp.resolve("vm5"), kernel, root, Optional.empty(), 1000, 512, Accel.TCG,
                true, Duration.ofMinutes(10), Duration.ofSeconds(60));
        long start = System.nanoTime();
        assertThatThrownBy(() -> engine.boot(spec, progress::add)).isInstanceOfSatisfying(PyroException.class, e -> {
            System.err.println("qemu error: " + e.getMessage());
            assertThat(e.kind()).isEqualTo(PyroException.Kind.VM_FAILED);
            assertThat(e.getMessage()).doesNotContain("\n").contains("qemu-system-x86_64: ", "1000");
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void qemuKilledMidExecFailsTheExecPromptly() throws Exception {
        QemuVm vm = engine.boot(spec("it6", tmp.resolve("vm6"), Optional.empty(), Accel.TCG), progress::add);
        try {
            Execution running = vm.guest().start(ExecRequest.of("sleep", "300"), OutputListener.NONE);
            Thread.sleep(300);
            long t = System.nanoTime();
            new ProcessBuilder("kill", "-KILL", Long.toString(vm.pid())).start().waitFor();
            assertThatThrownBy(running::await).isInstanceOfSatisfying(PyroException.class, e -> {
                assertThat(e.kind()).isEqualTo(PyroException.Kind.VM_FAILED);
                assertThat(e.getMessage()).contains("lost the connection", "QEMU was killed by signal 9",
                        vm.consoleLog().toString());
                System.err.println("killed mid-exec: " + e.getMessage());
            });
            assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(3));
            assertThatThrownBy(() -> vm.guest().ping(Duration.ofSeconds(1))).isInstanceOf(PyroException.class);
        } finally {
            vm.close();
        }
    }

    @Test
    void longRunDirectoryPutsSocketsInAShortPrivateDirectory() throws Exception {
        Path deep = tmp.resolve("a".repeat(60)).resolve("b".repeat(60));
        QemuVm vm = engine.boot(spec("it7", deep, Optional.empty(), Accel.TCG), progress::add);
        Path socketDir;
        try (vm) {
            socketDir = vm.files().privateSocketDir().orElseThrow();
            assertThat(socketDir.toString()).startsWith("/tmp/pyro-");
            assertThat(vm.files().agentSocket().toString().length()).isLessThanOrEqualTo(VmFiles.MAX_SOCKET_PATH);
            assertThat(Files.getAttribute(socketDir.getParent(), "unix:mode")).matches(m -> ((Integer) m & 077) == 0);
            assertThat(run(vm, "echo ok")).isEqualTo("ok\n");
            assertThat(vm.consoleLog()).startsWith(deep);
        }
        assertThat(socketDir).doesNotExist();
    }
}
