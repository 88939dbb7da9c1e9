package dev.pyro.internal.runtime;

import dev.pyro.ProgressListener;
import java.nio.file.Path;

/** Run in a second JVM by {@link FileLocksTest}: holds a lock file for a while. */
public final class LockHolderMain {
    private LockHolderMain() {
    }

    @SuppressWarnings("try") // the lock is held for the block's duration, never used in it
    public static void main(String[] args) throws Exception {
        try (FileLocks.Held held = FileLocks.acquire(Path.of(args[0]), new Progress(ProgressListener.NONE, "t"), "x")) {
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.parseLong(args[1]));
        }
    }
}
