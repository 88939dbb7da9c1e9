package dev.pyro.internal.runtime;

import dev.pyro.ProgressListener;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.UnaryOperator;

/**
 * Reads and updates runtime.lock.json. Updates are read-modify-write under an exclusive file
 * lock (so concurrent pyro processes never lose each other's entries) and land by atomic
 * rename (so a reader never sees half a file).
 */
public final class RuntimeLockStore {
    private final Path file;
    private final Path lockFile;

    public RuntimeLockStore(Path file, Path lockFile) {
        this.file = file;
        this.lockFile = lockFile;
    }

    /** The store for the given cache layout. */
    public static RuntimeLockStore of(RuntimePaths paths) {
        return new RuntimeLockStore(paths.lockFile(), paths.locksDir().resolve("runtime.lock.lck"));
    }

    public Path file() {
        return file;
    }

    /** The current lock; an absent or unreadable file reads as empty (nothing installed, nothing proven). */
    public RuntimeLock read() {
        return Json.readIfValid(file, RuntimeLock.class).orElseGet(RuntimeLock::empty);
    }

    /** Applies {@code change} to the current lock and writes the result atomically. */
    @SuppressWarnings("try") // the lock is held for the block's duration, never used in it
    public RuntimeLock update(UnaryOperator<RuntimeLock> change) {
        try (FileLocks.Held held = FileLocks.acquire(lockFile, new Progress(ProgressListener.NONE, "runtime"),
                "runtime.lock.json")) {
            RuntimeLock updated = change.apply(read()).normalised(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            Trees.writeAtomically(file, Json.bytes(updated));
            return updated;
        }
    }
}
