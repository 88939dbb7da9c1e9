package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.Accel;
import dev.pyro.OutputListener;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.guest.ExecRequest;
import dev.pyro.testsupport.GuestImages;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ephemeral VMs never outlive the JVM that booted them: not on SIGTERM/Ctrl-C (shutdown hook),
 * not on SIGKILL (setpriv --pdeathsig); VMs that must outlive it do. Each case boots a VM in a
 * real child JVM and kills that JVM.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class VmLifecycleIT {
    static Path kernel;
    static Path root;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        kernel = GuestImages.kernel();
        root = GuestImages.rootImage();
    }

    record Child(Process jvm, long qemuPid) {
    }

    Child bootInChildJvm(Path runDir, boolean ephemeral) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process jvm = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ChildVmMain.class.getName(),
                kernel.toString(), root.toString(), runDir.toString(), Boolean.toString(ephemeral))
                .redirectError(tmp.resolve("child-" + runDir.getFileName() + ".err").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as("child JVM output (stderr in %s)", tmp).isNotNull().startsWith("READY ");
        long pid = Long.parseLong(line.substring("READY ".length()).strip());
        assertThat(alive(pid)).isTrue();
        return new Child(jvm, pid);
    }

    static boolean alive(long pid) {
        // A zombie is dead for our purpose; its parent (the JVM) is gone anyway.
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void sigkillOfTheJvmKillsAnEphemeralVm() throws Exception {
        Path runDir = tmp.resolve("killed");
        Child child = bootInChildJvm(runDir, true);
        long start = System.nanoTime();
        child.jvm().destroyForcibly(); // SIGKILL: no shutdown hook runs
        child.jvm().waitFor();
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> !alive(child.qemuPid()));
        System.err.println("QEMU gone " + (System.nanoTime() - start) / 1_000_000 + " ms after SIGKILL of its JVM");
    }

    @Test
    void sigtermOfTheJvmKillsAnEphemeralVmAndRemovesItsSockets() throws Exception {
        Path runDir = tmp.resolve("terminated");
        Child child = bootInChildJvm(runDir, true);
        child.jvm().destroy(); // SIGTERM, like Ctrl-C's SIGINT: shutdown hooks run
        assertThat(child.jvm().waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(alive(child.qemuPid())).isFalse();
        assertThat(runDir.resolve("agent.sock")).doesNotExist();
        assertThat(runDir.resolve("qmp.sock")).doesNotExist();
        assertThat(runDir.resolve("console.log")).exists();
    }

    @Test
    void aPersistentVmOutlivesItsJvm() throws Exception {
        Path runDir = tmp.resolve("persistent");
        Child child = bootInChildJvm(runDir, false);
        try {
            child.jvm().destroyForcibly();
            child.jvm().waitFor();
            Thread.sleep(2000);
            assertThat(alive(child.qemuPid())).isTrue();
            // It runs in its own session, away from the JVM's terminal and process group.
            String stat = Files.readString(Path.of("/proc", Long.toString(child.qemuPid()), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            assertThat(Long.parseLong(fields[3])).as("session id").isEqualTo(child.qemuPid());
        } finally {
            new ProcessBuilder("kill", "-KILL", Long.toString(child.qemuPid())).start().waitFor();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !alive(child.qemuPid()));
            for (String socket : List.of("agent.sock", "qmp.sock")) {
                Files.deleteIfExists(runDir.resolve(socket));
            }
        }
    }

    @Test
    void theVmSurvivesTheEndOfTheThreadThatBootedIt() throws Exception {
        // PDEATHSIG follows the thread that forked: booting from a short-lived thread must not
        // kill the VM when that thread ends.
        QemuEngine engine = new QemuEngine(QemuBinary.locate());
        AtomicReference<QemuVm> booted = new AtomicReference<>();
        Thread t = new Thread(() -> booted.set(engine.boot(new VmSpec("thread", tmp.resolve("thread"), kernel, root,
                Optional.empty(), 1, 256, Accel.TCG, true, Duration.ofMinutes(5), Duration.ofSeconds(90)),
                e -> { })));
        t.start();
        t.join();
        QemuVm vm = booted.get();
        assertThat(vm).isNotNull();
        try (vm) {
            Thread.sleep(1000);
            assertThat(alive(vm.pid())).isTrue();
            assertThat(vm.guest().exec(ExecRequest.of("true"), OutputListener.NONE).exitCode()).isZero();
        }
        assertThat(alive(vm.pid())).isFalse();
    }
}
