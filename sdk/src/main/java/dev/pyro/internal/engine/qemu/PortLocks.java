package dev.pyro.internal.engine.qemu;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive, non-blocking locks on the lock files of one boot of a persistent VM: one per agent
 * port ({@code agent-<bootId>-<port>.lock}) and one for QMP ({@code qmp-<bootId>.lock}). QEMU
 * serves one client per socket, so whoever holds a port's lock is the only one connected to it.
 *
 * <p>The OS lock is a POSIX record lock ({@link FileChannel#tryLock()}): held per process and
 * dropped by the kernel when the process dies, so a CLI killed with SIGKILL never leaves a port
 * taken. Such locks are per process, and closing <em>any</em> descriptor of the file drops all
 * the process's locks on it; so within this JVM a set of held files makes sure one thread at a
 * time opens a given lock file, and its channel is closed only after its lock is released.
 *
 * <p>The boot id in the name keeps incarnations apart: a process still holding a lock of an
 * earlier boot (it has not noticed the VM stopped) holds an unlinked file and blocks nobody.
 */
final class PortLocks {
    private static final Set<Path> HELD_HERE = ConcurrentHashMap.newKeySet();

    private final Path runDir;
    private final String bootId;

    PortLocks(Path runDir, String bootId) {
        this.runDir = runDir;
        this.bootId = bootId;
    }

    Path agentLock(int port) {
        return runDir.resolve("agent-" + bootId + "-" + port + ".lock");
    }

    Path qmpLock() {
        return runDir.resolve("qmp-" + bootId + ".lock");
    }

    /** A held lock; closing releases it. */
    static final class Held implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final FileLock lock;
        private boolean closed;

        private Held(Path file, FileChannel channel, FileLock lock) {
            this.file = file;
            this.channel = channel;
            this.lock = lock;
        }

        /** Releases the lock; idempotent, never throws. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                lock.release();
            } catch (IOException e) {
                // closing the channel below releases it too
            }
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do
            }
            // Only now may another thread of this JVM open the file (see the class comment).
            HELD_HERE.remove(file);
        }
    }

    /** Takes the lock on {@code file} if nobody (no thread here, no other process) holds it. */
    static Optional<Held> tryAcquire(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        if (!HELD_HERE.add(key)) {
            return Optional.empty();
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close(); // no other thread here holds a lock on this file: safe to close
                HELD_HERE.remove(key);
                return Optional.empty();
            }
            return Optional.of(new Held(key, channel, lock));
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            HELD_HERE.remove(key);
            if (e instanceof OverlappingFileLockException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Deletes every port and QMP lock file in {@code runDir} (of any boot). */
    static void removeAll(Path runDir) {
        if (!Files.isDirectory(runDir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(runDir, "{agent-,qmp-}*.lock")) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            // Leftover lock files are harmless: the next boot has another boot id.
        }
    }
}
