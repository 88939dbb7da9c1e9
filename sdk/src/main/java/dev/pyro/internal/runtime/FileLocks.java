package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive locks on files, held across processes (an OS file lock) and across threads of
 * this JVM (file locks are per process, so a second thread would otherwise get an
 * OverlappingFileLockException instead of waiting). Whoever waits is told so through
 * {@link Progress}, naming the lock file.
 */
final class FileLocks {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private FileLocks() {
    }

    /** A held lock; closing releases it. */
    static final class Held implements AutoCloseable {
        private final ReentrantLock threadLock;
        private final FileChannel channel;
        private final FileLock fileLock;

        private Held(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
            this.threadLock = threadLock;
            this.channel = channel;
            this.fileLock = fileLock;
        }

        @Override
        public void close() {
            try {
                fileLock.release();
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                threadLock.unlock();
            }
        }
    }

    /**
     * Takes the lock, waiting as long as another holder keeps it.
     *
     * @param waiting told once, with {@code what}, when someone else holds the lock
     */
    static Held acquire(Path lockFile, Progress waiting, String what) {
        Path key = lockFile.toAbsolutePath().normalize();
        ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(key, k -> new ReentrantLock());
        try {
            if (!threadLock.tryLock()) {
                waiting.step("waiting for another build of " + what + " in this process");
                threadLock.lockInterruptibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while waiting for the lock " + key);
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(key.getParent());
            channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fileLock = channel.tryLock();
            if (fileLock == null) {
                waiting.step("waiting for another pyro process building " + what + " (lock " + key + ")");
                fileLock = channel.lock();
            }
            return new Held(threadLock, channel, fileLock);
        } catch (ClosedByInterruptException e) {
            threadLock.unlock();
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while waiting for the lock " + key);
        } catch (IOException e) {
            threadLock.unlock();
            closeQuietly(channel);
            throw new PyroException(PyroException.Kind.HOST_SETUP,
                    "cannot lock " + key + ": " + e.getMessage() + "; check that the cache directory is writable");
        }
    }

    /** Takes the lock only if nobody holds it (for clean-ups that must not wait for or disturb a running pull). */
    static java.util.Optional<Held> tryAcquire(Path lockFile) {
        Path key = lockFile.toAbsolutePath().normalize();
        ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(key, k -> new ReentrantLock());
        if (!threadLock.tryLock()) {
            return java.util.Optional.empty();
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(key.getParent());
            channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fileLock = channel.tryLock();
            if (fileLock == null) {
                channel.close();
                threadLock.unlock();
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new Held(threadLock, channel, fileLock));
        } catch (IOException e) {
            threadLock.unlock();
            closeQuietly(channel);
            return java.util.Optional.empty();
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Already failing; the original error is what matters.
            }
        }
    }
}
