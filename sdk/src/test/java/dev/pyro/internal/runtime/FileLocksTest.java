package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.ProgressEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileLocksTest {
    @TempDir
    Path dir;

    @Test
    void aSecondProcessWaitsAndIsToldWhy() throws Exception {
        Path lock = dir.resolve("locks/kernel.lock");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockHolderMain.class.getName(), lock.toString(), "1500")
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream()))) {
            assertThat(out.readLine()).isEqualTo("locked");
            List<ProgressEvent> events = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();
            try (FileLocks.Held held = FileLocks.acquire(lock, new Progress(events::add, "kernel"), "the kernel")) {
                assertThat(held).isNotNull();
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThan(500);
            }
            assertThat(events).extracting(ProgressEvent::message)
                    .anyMatch(m -> m.startsWith("waiting for another pyro process building the kernel (lock "));
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
    }

    @Test
    void threadsOfOneProcessWaitForEachOther() throws Exception {
        Path lock = dir.resolve("x.lock");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread first = new Thread(() -> {
            try (FileLocks.Held h = FileLocks.acquire(lock, new Progress(e -> { }, "t"), "x")) {
                assertThat(h).isNotNull();
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        first.start();
        held.await();
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        Thread second = new Thread(() -> {
            try (FileLocks.Held h = FileLocks.acquire(lock, new Progress(events::add, "t"), "x")) {
                assertThat(h).isNotNull();
                events.add(ProgressEvent.of("t", "acquired"));
            }
        });
        second.start();
        org.awaitility.Awaitility.await().until(() -> !events.isEmpty());
        assertThat(events).extracting(ProgressEvent::message).containsExactly("waiting for another build of x in this process");
        release.countDown();
        second.join(5000);
        first.join(5000);
        assertThat(events).extracting(ProgressEvent::message).endsWith("acquired");
    }
}
