package dev.pyro.internal.oci;

import dev.pyro.PyroException;
import java.io.IOException;
import java.nio.file.Path;

/** File-system failures while writing downloads, as one-line errors (a full disk above all). */
public final class DiskErrors {
    private DiskErrors() {
    }

    /** Whether {@code e} (or a cause) says the file system is full (ENOSPC or EDQUOT). */
    public static boolean isDiskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /** The error for a failed write to {@code file}. */
    public static PyroException writing(Path file, IOException e) {
        if (isDiskFull(e)) {
            return new PyroException(PyroException.Kind.HOST_SETUP, "no space left on the file system of " + file
                    + "; free space there (pyro env prune removes pyro's leftovers) or set PYRO_CACHE_DIR to a larger"
                    + " disk, then run the command again", e);
        }
        return new PyroException(PyroException.Kind.HOST_SETUP, "cannot write " + file + " ("
                + RegistryErrors.rootMessage(e) + "); check that the cache directory is writable", e);
    }
}
