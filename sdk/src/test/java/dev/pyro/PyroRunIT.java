package dev.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Pyro#run} end to end: real QEMU, the kernel and root image the pipeline built (in the
 * shared cache, built on first use), the real guest agent. Software emulation is fine.
 */
class PyroRunIT {
    static final String ENV = "debian:12-base";

    @TempDir
    static Path home;

    static Pyro pyro;

    @BeforeAll
    static void start() {
        pyro = Pyro.builder().home(home).build();
        pyro.materialize(List.of(ENV));
    }

    @AfterAll
    static void stop() {
        pyro.close();
    }

    static RunResult run(String... command) {
        return pyro.run(RunRequest.builder(ENV, command).build());
    }

    @Test
    void guestRunsTheKernelWeBuiltNotTheHostOne() throws Exception {
        RunResult r = run("uname", "-r");
        String guestRelease = r.stdoutText().strip();
        String built = pyro.runtimeStatus(false).components().stream()
                .filter(c -> c.name().equals("kernel")).findFirst().orElseThrow().version();
        String host = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();

        assertThat(r.exitCode()).isZero();
        assertThat(guestRelease).endsWith("-pyro").isEqualTo(r.kernelRelease());
        assertThat(built).contains(guestRelease);
        assertThat(guestRelease).isNotEqualTo(host);
        assertThat(r.engine()).isEqualTo("qemu");
        assertThat(r.executionMode()).isEqualTo(ExecutionMode.GUEST_VIRTIO_SERIAL);
        assertThat(r.accel()).isIn(Accel.KVM, Accel.TCG);
        assertThat(r.timings().bootMs()).isPositive();
        assertThat(r.durationMs()).isGreaterThanOrEqualTo(r.timings().bootMs() + r.timings().execMs());
    }

    @Test
    void filesWrittenInTheGuestStayInTheGuest() {
        String name = "pyro-it-" + UUID.randomUUID();
        RunResult r = run("sh", "-c", "echo secret > /tmp/" + name + " && echo x > /root/" + name
                + " && echo y > /workspace/" + name + " && cat /tmp/" + name);
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdoutText()).isEqualTo("secret\n");
        assertThat(Path.of("/tmp", name)).doesNotExist();
        assertThat(Path.of("/root", name)).doesNotExist();
        assertThat(Path.of("/workspace", name)).doesNotExist();
        // and the next VM starts clean
        assertThat(run("sh", "-c", "ls /tmp/" + name).exitCode()).isNotZero();
    }

    @Test
    void exitCodesComeBack() {
        assertThat(run("true").exitCode()).isZero();
        assertThat(run("false").exitCode()).isEqualTo(1);
        assertThat(run("sh", "-c", "exit 42").exitCode()).isEqualTo(42);
        assertThat(run("sh", "-c", "kill -TERM $$").exitCode()).isEqualTo(128 + 15);
    }

    @Test
    void stdoutAndStderrStaySeparateAndArgumentsKeepTheirBoundaries() {
        RunResult r = run("sh", "-c", "echo to-out; echo to-err >&2; printf '<%s>' \"$@\"", "sh", "a b", "", "c*");
        assertThat(r.stdoutText()).isEqualTo("to-out\n<a b><><c*>");
        assertThat(r.stderrText()).isEqualTo("to-err\n");
    }

    @Test
    void tenMegabytesOfBinaryOutputArriveByteExact() throws Exception {
        RunResult r = run("sh", "-c",
                "head -c 10000000 /dev/urandom > /tmp/blob && sha256sum /tmp/blob | cut -d' ' -f1 >&2 && cat /tmp/blob");
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).hasSize(10_000_000);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(r.stdout()));
        assertThat(sha).isEqualTo(r.stderrText().strip());
        assertThat(r.stdoutTruncated()).isFalse();
    }

    @Test
    void nonUtf8BytesSurvive() {
        RunResult r = run("printf", "\\377\\376\\000\\303(end");
        assertThat(r.stdout()).containsExactly(0xff, 0xfe, 0x00, 0xc3, '(', 'e', 'n', 'd');
        assertThat(r.stdoutIsUtf8()).isFalse();
    }

    @Test
    void aTimeoutKillsTheCommandPromptly() {
        long started = System.nanoTime();
        RunResult r = pyro.run(RunRequest.builder(ENV, "sh", "-c", "setsid sleep 100 & sleep 100").timeoutSeconds(2).build());
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(124);
        assertThat(r.timings().execMs()).isBetween(1_900L, 6_000L);
        assertThat(tookMs).isLessThan(30_000);
    }

    @Test
    void aMissingProgramIsExitCode127WithAHint() {
        RunResult r = run("no-such-program");
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.stderrText()).contains("no-such-program").contains("No such file");
        RunResult line = run("echo hi | wc -c");
        assertThat(line.exitCode()).isEqualTo(127);
        assertThat(line.stderrText()).contains("sh -c 'echo hi | wc -c'");
    }

    @Test
    void outputIsStreamedWhileTheCommandRuns() {
        StringBuilder seen = new StringBuilder();
        long[] firstChunkAt = {0};
        long started = System.nanoTime();
        RunResult r = pyro.run(RunRequest.builder(ENV, "sh", "-c", "echo first; sleep 2; echo second").build(),
                new OutputListener() {
                    @Override
                    public void onStdout(byte[] data, int offset, int length) {
                        if (firstChunkAt[0] == 0) {
                            firstChunkAt[0] = System.nanoTime();
                        }
                        seen.append(new String(data, offset, length, StandardCharsets.UTF_8));
                    }

                    @Override
                    public void onStderr(byte[] data, int offset, int length) {
                    }
                });
        long finishedAt = System.nanoTime();
        assertThat(seen.toString()).isEqualTo("first\nsecond\n");
        assertThat(r.stdoutText()).isEqualTo(seen.toString());
        // "first" arrived before the 2 s sleep ended, not with the result
        assertThat((finishedAt - firstChunkAt[0]) / 1_000_000).isGreaterThan(1_500);
        assertThat(firstChunkAt[0]).isGreaterThan(started);
    }

    @Test
    void resourcesAreApplied() {
        RunResult r = pyro.run(RunRequest.builder(ENV, "sh", "-c", "nproc; grep MemTotal /proc/meminfo")
                .vcpuCount(2).memMib(512).build());
        String[] lines = r.stdoutText().split("\n");
        assertThat(lines[0]).isEqualTo("2");
        long memKib = Long.parseLong(lines[1].replaceAll("[^0-9]", ""));
        assertThat(memKib).isBetween(400_000L, 524_288L);
    }

    @Test
    void twoRunsAtOnce() {
        CompletableFuture<RunResult> a = CompletableFuture.supplyAsync(() -> run("echo", "a"));
        CompletableFuture<RunResult> b = CompletableFuture.supplyAsync(() -> run("echo", "b"));
        assertThat(a.join().stdoutText()).isEqualTo("a\n");
        assertThat(b.join().stdoutText()).isEqualTo("b\n");
        assertThat(a.join().vmId()).isNotEqualTo(b.join().vmId());
    }

    @Test
    void hostCompatRunsOnTheHostOnlyWhenAskedAndSaysSo() throws Exception {
        assertThatThrownBy(() -> pyro.run(RunRequest.builder(ENV, "true").engine("host_compat").build()))
                .isInstanceOf(PyroException.class)
                .hasMessageContaining("allow_host_compat");
        RunResult r = pyro.run(RunRequest.builder(ENV, "uname", "-r").engine("host_compat").allowHostCompat(true).build());
        assertThat(r.executionMode()).isEqualTo(ExecutionMode.HOST_COMPAT);
        assertThat(r.engine()).isEqualTo("host_compat");
        assertThat(r.accel()).isEqualTo(Accel.NONE);
        assertThat(r.stdoutText().strip()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        assertThat(r.note()).get().asString().contains("WITHOUT isolation");
        RunResult timeout = pyro.run(RunRequest.builder(ENV, "sleep", "100").engine("host_compat")
                .allowHostCompat(true).timeoutSeconds(1).build());
        assertThat(timeout.timedOut()).isTrue();
        assertThat(timeout.exitCode()).isEqualTo(124);
    }

    @Test
    void aSuccessfulRunLeavesNothingBehind() throws Exception {
        run("true");
        try (var left = Files.list(home.resolve("runs"))) {
            assertThat(left.toList()).isEmpty();
        }
    }
}
