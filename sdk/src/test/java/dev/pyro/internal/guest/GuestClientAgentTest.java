package dev.pyro.internal.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.OutputListener;
import dev.pyro.PyroException;
import dev.pyro.testsupport.AgentBinary;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against the real agent, {@code pyro-agent --stdio} (built from source by
 * {@link AgentBinary}): the same frames as in a VM, carried by the agent's stdin and stdout.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GuestClientAgentTest {
    @TempDir
    Path tmp;

    Process agent;
    GuestClient client;

    @BeforeEach
    void startAgent() throws Exception {
        client = connect(Duration.ofSeconds(10));
    }

    GuestClient connect(Duration grace) throws Exception {
        agent = new ProcessBuilder(AgentBinary.get().toString(), "--stdio")
                .redirectError(tmp.resolve("agent.log").toFile()).start();
        Process p = agent;
        return GuestClient.overStreams("pyro-agent --stdio", p.getInputStream(), p.getOutputStream(), () -> {
                    // SIGTERM: the agent kills its commands and exits, even while it is not
                    // reading stdin; closing the pipe instead could block behind a stuck write.
                    p.destroy();
                    if (!p.waitFor(5, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }, grace);
    }

    @AfterEach
    void stopAgent() throws Exception {
        client.close();
        agent.destroyForcibly().waitFor();
    }

    /** Collects output; fine for small outputs. */
    static final class Capture implements OutputListener {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        @Override
        public synchronized void onStdout(byte[] data, int offset, int length) {
            out.write(data, offset, length);
        }

        @Override
        public synchronized void onStderr(byte[] data, int offset, int length) {
            err.write(data, offset, length);
        }

        String out() {
            return out.toString(StandardCharsets.UTF_8);
        }

        String err() {
            return err.toString(StandardCharsets.UTF_8);
        }
    }

    ExecResult sh(String script, Capture capture) throws ExecFailedException {
        return client.exec(ExecRequest.of("sh", "-c", script), capture);
    }

    @Test
    void helloReportsTheAgentAndKernel() throws Exception {
        HelloInfo hello = client.hello(Duration.ofSeconds(5));
        assertThat(hello.protocolVersion()).isEqualTo(1);
        assertThat(hello.agentVersion()).isNotBlank();
        String uname = new String(new ProcessBuilder("uname", "-r").start().getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).strip();
        assertThat(hello.kernelRelease()).isEqualTo(uname);
        // A second HELLO is answered again.
        assertThat(client.hello(Duration.ofSeconds(5))).isEqualTo(hello);
        assertThat(client.ping(Duration.ofSeconds(5))).isPositive();
    }

    @Test
    void exitCodesAndSignals() throws Exception {
        client.hello(Duration.ofSeconds(5));
        assertThat(sh("exit 0", new Capture()).exitCode()).isZero();
        assertThat(sh("exit 3", new Capture()).exitCode()).isEqualTo(3);
        assertThat(sh("exit 255", new Capture()).exitCode()).isEqualTo(255);
        ExecResult killed = sh("kill -TERM $$", new Capture());
        assertThat(killed.exitCode()).isEqualTo(128 + 15);
        assertThat(killed.signal()).isEqualTo(15);
        assertThat(killed.timedOut()).isFalse();
        ExecResult slept = sh("sleep 0.2", new Capture());
        assertThat(slept.guestDuration()).isGreaterThanOrEqualTo(Duration.ofMillis(190));
    }

    @Test
    void stdoutAndStderrStaySeparateAndEnvAndCwdApply() throws Exception {
        Capture c = new Capture();
        ExecResult r = client.exec(ExecRequest.of("sh", "-c", "echo out:$FOO; echo err:$(pwd) >&2; echo more")
                .withEnv(java.util.Map.of("FOO", "bar baz")).withCwd(tmp.toString()), c);
        assertThat(r.exitCode()).isZero();
        assertThat(c.out()).isEqualTo("out:bar baz\nmore\n");
        assertThat(c.err()).isEqualTo("err:" + tmp.toRealPath() + "\n");
    }

    @Test
    void tenMegabytesByteExact() throws Exception {
        byte[] data = new byte[10 * 1024 * 1024];
        new Random(42).nextBytes(data);
        Path file = tmp.resolve("ten.bin");
        Files.write(file, data);
        Capture c = new Capture();
        ExecResult r = client.exec(ExecRequest.of("cat", file.toString()), c);
        assertThat(r.exitCode()).isZero();
        assertThat(c.err.size()).isZero();
        assertThat(c.out.toByteArray()).isEqualTo(data);
    }

    @Test
    void nonUtf8ArgumentsAndOutputAreByteExact() throws Exception {
        byte[] weird = {(byte) 0xff, (byte) 0xfe, 'c', 'a', 'f', (byte) 0xc3, (byte) 0xa9, 0x01, (byte) 0x80};
        Capture c = new Capture();
        ExecRequest request = new ExecRequest(List.of("printf".getBytes(), "%s|%s".getBytes(), weird,
                "second".getBytes()), List.of(), new byte[0], Duration.ZERO, false);
        assertThat(client.exec(request, c).exitCode()).isZero();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(weird);
        expected.writeBytes("|second".getBytes());
        assertThat(c.out.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void timeoutGives124Promptly() throws Exception {
        long start = System.nanoTime();
        ExecResult r = client.exec(ExecRequest.of("sh", "-c", "sleep 30; echo never").withTimeout(Duration.ofMillis(500)),
                new Capture());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(r.exitCode()).isEqualTo(124);
        assertThat(r.timedOut()).isTrue();
        assertThat(took).isBetween(Duration.ofMillis(450), Duration.ofSeconds(3));
    }

    @Test
    void concurrentExecsRunInParallelAndKeepTheirOutput() throws Exception {
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            long start = System.nanoTime();
            List<Future<String>> outs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                outs.add(pool.submit(() -> {
                    Capture c = new Capture();
                    ExecResult r = sh("for k in 1 2 3; do echo " + id + ".$k; sleep 0.2; done; exit " + id, c);
                    assertThat(r.exitCode()).isEqualTo(id);
                    return c.out();
                }));
            }
            for (int i = 0; i < n; i++) {
                assertThat(outs.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(i + ".1\n" + i + ".2\n" + i + ".3\n");
            }
            // Sequentially this would take n * 0.6 s.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(n * 600 / 2));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void stdinIsDeliveredAndClosed() throws Exception {
        byte[] input = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(input);
        Capture c = new Capture();
        ExecResult r = client.exec(ExecRequest.of("sh", "-c", "cat; echo done >&2"), new ByteArrayInputStream(input), c);
        assertThat(r.exitCode()).isZero();
        assertThat(c.out.toByteArray()).isEqualTo(input);
        assertThat(c.err()).isEqualTo("done\n");

        // Interactive use through the handle's stream.
        Capture c2 = new Capture();
        Execution e = client.start(ExecRequest.of("sh", "-c", "read a; read b; echo \"$b-$a\"").withStdin(true), c2);
        try (var stdin = e.stdin()) {
            stdin.write("first\nsecond\n".getBytes());
        }
        assertThat(e.await().exitCode()).isZero();
        assertThat(c2.out()).isEqualTo("second-first\n");
        // Without the stdin flag the command reads /dev/null.
        Capture c3 = new Capture();
        assertThat(client.exec(ExecRequest.of("wc", "-c"), c3).exitCode()).isZero();
        assertThat(c3.out().strip()).isEqualTo("0");
    }

    @Test
    void missingProgramIsExecFailedWithErrno() throws Exception {
        assertThatThrownBy(() -> client.exec(ExecRequest.of("no-such-program-pyro"), new Capture()))
                .isInstanceOfSatisfying(ExecFailedException.class, e -> {
                    assertThat(e.errno()).isEqualTo(ExecFailedException.ENOENT);
                    assertThat(e.shellExitCode()).isEqualTo(127);
                    assertThat(e.guestMessage()).contains("no-such-program-pyro");
                    assertThat(e.hint()).contains("does not exist");
                });
        Path notExecutable = Files.writeString(tmp.resolve("script"), "#!/bin/sh\necho hi\n");
        assertThatThrownBy(() -> client.exec(ExecRequest.of(notExecutable.toString()), new Capture()))
                .isInstanceOfSatisfying(ExecFailedException.class, e -> assertThat(e.shellExitCode()).isEqualTo(126));
        // The connection is still fine afterwards.
        assertThat(sh("exit 7", new Capture()).exitCode()).isEqualTo(7);
    }

    @Test
    void cancelFromAnotherThreadKillsPromptly() throws Exception {
        Capture c = new Capture();
        Execution e = client.start(ExecRequest.of("sh", "-c", "echo started; exec sleep 60"), c);
        Thread canceller = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException ignored) {
                return;
            }
            e.cancel();
        });
        long start = System.nanoTime();
        canceller.start();
        ExecResult r = e.await();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(r.signal()).isEqualTo(9);
        assertThat(c.out()).isEqualTo("started\n");
        assertThat(e.pid()).isPresent();
    }

    @Test
    void cancelReturnsPromptlyEvenWhenTheAgentStoppedReading() throws Exception {
        // The command never reads stdin: past 8 MiB queued the agent stops reading the whole
        // connection (its flow control), the host's queue fills, and a SIGNAL cannot get
        // through. cancel() must still return at once and await() within the cancel grace.
        Execution e = client.start(ExecRequest.of("sleep", "60").withStdin(true), new Capture());
        Thread pump = new Thread(() -> {
            byte[] chunk = new byte[64 * 1024];
            try (var stdin = e.stdin()) {
                for (int i = 0; i < 1024; i++) { // 64 MiB: more than every buffer on the way
                    stdin.write(chunk);
                }
            } catch (Exception ignored) {
                // the connection is closed at the end of the test
            }
        });
        pump.setDaemon(true);
        pump.start();
        Thread.sleep(1500);
        long start = System.nanoTime();
        e.cancel();
        // Does not wait for the blocked writer (that would take until the 64 MiB drained, or forever);
        // a generous bound, since a loaded 2-core machine can pause any thread for a while.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        try {
            ExecResult r = e.await(); // the kill got through after all
            assertThat(r.signal()).isEqualTo(9);
        } catch (PyroException cancelled) {
            assertThat(cancelled.kind()).isEqualTo(PyroException.Kind.CANCELLED);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(GuestClient.CANCEL_GRACE.plusSeconds(1));
    }

    @Test
    void interruptingTheWaiterKillsTheCommandAndKeepsTheConnection() throws Exception {
        Thread waiter = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException ignored) {
                return;
            }
            waiter.interrupt();
        });
        interrupter.start();
        assertThatThrownBy(() -> sh("sleep 60", new Capture()))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.CANCELLED));
        assertThat(Thread.interrupted()).isTrue();
        assertThat(client.isConnected()).isTrue();
        assertThat(sh("echo ok", new Capture()).exitCode()).isZero();
    }

    @Test
    void killedAgentFailsEveryPendingCallAtOnce() throws Exception {
        client.hello(Duration.ofSeconds(5));
        int n = 4;
        CountDownLatch started = new CountDownLatch(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Execution> running = java.util.Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<Throwable>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                calls.add(pool.submit(() -> {
                    Execution e = client.start(ExecRequest.of("sleep", "60"), new Capture());
                    running.add(e);
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> e.pid().isPresent());
                    started.countDown();
                    try {
                        e.await();
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                }));
            }
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200);
            long start = System.nanoTime();
            agent.destroyForcibly(); // SIGKILL: no goodbye
            for (Future<Throwable> call : calls) {
                assertThat(call.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.VM_FAILED);
                    assertThat(e.getMessage()).contains("lost the connection to pyro-agent --stdio");
                });
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            assertThat(client.isConnected()).isFalse();
            assertThatThrownBy(() -> client.ping(Duration.ofSeconds(1))).isInstanceOf(PyroException.class)
                    .hasMessageContaining("lost the connection");
            assertThatThrownBy(() -> sh("true", new Capture())).isInstanceOf(PyroException.class);
        } finally {
            pool.shutdownNow();
            // The SIGKILLed agent could not kill its commands: they are orphans on this host now.
            for (Execution e : running) {
                e.pid().ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            }
        }
    }

    @Test
    void silentGuestIsReportedUnresponsiveAfterTimeoutPlusGrace() throws Exception {
        client.close();
        agent.destroyForcibly().waitFor();
        client = connect(Duration.ofMillis(700));
        client.hello(Duration.ofSeconds(5));
        // SIGSTOP the agent: the connection stays open, but nobody answers.
        new ProcessBuilder("kill", "-STOP", Long.toString(agent.pid())).start().waitFor();
        try {
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.exec(ExecRequest.of("true").withTimeout(Duration.ofMillis(300)), new Capture()))
                    .isInstanceOfSatisfying(PyroException.class, e -> {
                        assertThat(e.kind()).isEqualTo(PyroException.Kind.VM_FAILED);
                        assertThat(e.getMessage()).contains("unresponsive");
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900),
                    Duration.ofSeconds(3));
            assertThatThrownBy(() -> client.hello(Duration.ofMillis(300))).hasMessageContaining("did not answer HELLO");
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(agent.pid())).start().waitFor();
        }
    }

    @Test
    void hundredMegabytesStreamWithoutAccumulating() throws Exception {
        AtomicLong bytes = new AtomicLong();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        OutputListener counting = new OutputListener() {
            @Override
            public void onStdout(byte[] data, int offset, int length) {
                bytes.addAndGet(length);
                sha.update(data, offset, length);
            }

            @Override
            public void onStderr(byte[] data, int offset, int length) {
            }
        };
        long start = System.nanoTime();
        ExecResult r = client.exec(ExecRequest.of("sh", "-c", "head -c 104857600 /dev/zero"), counting);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(r.exitCode()).isZero();
        assertThat(bytes.get()).isEqualTo(100L * 1024 * 1024);
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        byte[] zeros = new byte[1024 * 1024];
        for (int i = 0; i < 100; i++) {
            expected.update(zeros);
        }
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(HexFormat.of().formatHex(expected.digest()));
        System.err.printf("100 MB over --stdio in %.2f s (%.0f MB/s)%n", seconds, 100 / seconds);
    }

    @Test
    void aSlowListenerSlowsTheGuestInsteadOfFillingTheHeap() throws Exception {
        AtomicLong bytes = new AtomicLong();
        AtomicLong maxBuffered = new AtomicLong();
        Execution[] self = new Execution[1];
        OutputListener slow = new OutputListener() {
            @Override
            public void onStdout(byte[] data, int offset, int length) {
                bytes.addAndGet(length);
                maxBuffered.accumulateAndGet(self[0].bufferedBytes(), Math::max);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onStderr(byte[] data, int offset, int length) {
            }
        };
        self[0] = client.start(ExecRequest.of("head", "-c", "40000000", "/dev/zero"), slow);
        assertThat(self[0].await().exitCode()).isZero();
        assertThat(bytes.get()).isEqualTo(40_000_000L);
        // The reader stopped at the budget (the rest waited in the pipe and the agent), and the
        // budget was really reached: the back-pressure path ran.
        assertThat(maxBuffered.get()).isLessThanOrEqualTo(GuestClient.OUTPUT_BUDGET)
                .isGreaterThan(GuestClient.OUTPUT_BUDGET / 2);
    }

    @Test
    void shutdownIsAcknowledgedAndEndsTheConnection() throws Exception {
        client.hello(Duration.ofSeconds(5));
        Execution running = client.start(ExecRequest.of("sleep", "60"), new Capture());
        assertThat(client.shutdown(Duration.ofSeconds(5))).isTrue();
        assertThat(agent.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(running::await).isInstanceOf(PyroException.class);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !client.isConnected());
    }
}
