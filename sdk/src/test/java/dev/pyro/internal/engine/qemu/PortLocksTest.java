package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortLocksTest {
    @TempDir
    Path tmp;

    @Test
    void oneHolderPerFileAmongThreadsAndTheLockComesBackOnRelease() throws Exception {
        Path file = new PortLocks(tmp, "b1").agentLock(0);
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger winners = new AtomicInteger();
        List<Future<Optional<PortLocks.Held>>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            results.add(pool.submit(() -> {
                go.await();
                Optional<PortLocks.Held> h = PortLocks.tryAcquire(file);
                h.ifPresent(x -> winners.incrementAndGet());
                return h;
            }));
        }
        go.countDown();
        List<PortLocks.Held> held = new ArrayList<>();
        for (var f : results) {
            f.get(10, TimeUnit.SECONDS).ifPresent(held::add);
        }
        pool.shutdown();
        assertThat(winners.get()).isEqualTo(1);
        // A failed try by another thread must not have dropped the winner's OS lock: a child
        // process still finds it taken.
        assertThat(childTries(file)).isEqualTo("BUSY");
        held.get(0).close();
        held.get(0).close(); // idempotent
        Optional<PortLocks.Held> again = PortLocks.tryAcquire(file);
        assertThat(again).isPresent();
        again.get().close();
    }

    @Test
    void aLockHeldByAnotherProcessIsBusyUntilThatProcessIsKilled() throws Exception {
        Path file = new PortLocks(tmp, "b2").agentLock(3);
        Process child = startHolder(file);
        try {
            assertThat(readLine(child)).isEqualTo("HELD");
            assertThat(PortLocks.tryAcquire(file)).isEmpty();
            child.destroyForcibly(); // SIGKILL: the kernel drops its locks
            child.waitFor(10, TimeUnit.SECONDS);
            Optional<PortLocks.Held> mine = PortLocks.tryAcquire(file);
            assertThat(mine).isPresent();
            mine.get().close();
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void removeAllDeletesOnlyLockFiles() throws Exception {
        PortLocks locks = new PortLocks(tmp, "b3");
        PortLocks.tryAcquire(locks.agentLock(1)).orElseThrow().close();
        PortLocks.tryAcquire(locks.qmpLock()).orElseThrow().close();
        Files.writeString(tmp.resolve("console.log"), "x");
        PortLocks.removeAll(tmp);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("console.log");
        }
    }

    static Process startHolder(Path file) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                PortLockHolderMain.class.getName(), file.toString()).redirectErrorStream(true).start();
    }

    static String readLine(Process p) throws Exception {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }

    static String childTries(Path file) throws Exception {
        Process child = startHolder(file);
        try {
            return readLine(child);
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
