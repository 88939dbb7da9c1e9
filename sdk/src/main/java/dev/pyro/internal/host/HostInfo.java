package dev.pyro.internal.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Facts about the host read from /proc: whether we are root, CPU count, memory size. */
public final class HostInfo {
    private HostInfo() {
    }

    /** True when the effective user id of this process is 0. */
    public static boolean isRoot() {
        // The second field of "Uid:" is the effective uid, the one that decides permissions.
        for (String line : readLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                String[] fields = line.substring(4).trim().split("\\s+");
                return fields.length > 1 && fields[1].equals("0");
            }
        }
        return false;
    }

    /** Number of CPUs this process may use. */
    public static int cpuCount() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** Total physical memory in bytes (MemTotal of /proc/meminfo), or -1 when unknown. */
    public static long memTotalBytes() {
        for (String line : readLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                String[] fields = line.substring(9).trim().split("\\s+");
                return Long.parseLong(fields[0]) * 1024;
            }
        }
        return -1;
    }

    private static List<String> readLines(Path path) {
        try {
            return Files.readAllLines(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
