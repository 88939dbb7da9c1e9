package dev.pyro.internal.engine.qemu;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Small disk helpers for the VM tests. */
final class GuestImagesAccess {
    private GuestImagesAccess() {
    }

    /** A sparse, empty ext4 disk of the given size (e.g. "256M"). */
    static void mkfs(Path disk, String size) throws Exception {
        Process p = new ProcessBuilder("mke2fs", "-q", "-F", "-t", "ext4", disk.toString(), size)
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("mke2fs failed for " + disk);
        }
    }
}
