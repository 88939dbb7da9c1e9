package dev.pyro.internal.engine;

import dev.pyro.PyroException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The per-VM writable disk: a sparse file holding an ext4 filesystem, which the guest agent
 * mounts as the overlay root's upper layer ({@code pyro.upper=/dev/vdb}). A fresh disk of any
 * size takes about 4 MiB on the host and ~40 ms to make; it grows as the guest writes, and
 * shrinks again when the guest deletes (QEMU passes the guest's discards on as hole punches).
 *
 * <p>Made with {@code mke2fs} from e2fsprogs, driven from here. The options, and why:
 * <ul>
 *   <li>{@code -E assume_storage_prezeroed=1} (e2fsprogs 1.47+): the file was just created
 *       sparse, so it reads as zeros; mke2fs then neither writes the journal and inode tables
 *       nor leaves them for the guest kernel's lazy-init thread, which would otherwise write
 *       ~16 MiB per GiB of disk in the background of every first boot (slow under emulation,
 *       and it would make the sparse file grow). Older e2fsprogs: {@code lazy_itable_init=1,
 *       lazy_journal_init=1}, with the guest doing the zeroing;
 *   <li>{@code nodiscard}: nothing to discard in a fresh sparse file;
 *   <li>{@code -m 0}: no blocks reserved for root, everything in the guest runs as root anyway;
 *   <li>a journal (ext4's default) is kept: a VMM killed mid-write leaves a disk that the
 *       journal replays to a consistent state on the next mount.
 * </ul>
 */
public final class WritableDisk {
    /** Filesystem label, visible in the guest as {@code /dev/disk/by-label/pyro-upper} if udev ran. */
    public static final String LABEL = "pyro-upper";
    private static final long GIB = 1L << 30;
    private static final long TOOL_TIMEOUT_SECONDS = 120;

    private WritableDisk() {
    }

    /** The outcome of {@link #check}. */
    public record CheckResult(boolean clean, int exitCode, String output) {
    }

    /**
     * Creates a sparse ext4 disk of {@code sizeGib} GiB at {@code path}. The file appears
     * atomically (made under a temporary name, then renamed), so a crash never leaves a half
     * made disk at {@code path}.
     *
     * @throws PyroException {@code INVALID_ARGUMENT} for a size below 1 GiB or above 16 TiB,
     *     {@code HOST_SETUP} if mke2fs is missing or fails, if the file exists, or on I/O errors
     */
    public static void create(Path path, int sizeGib) {
        if (sizeGib < 1 || sizeGib > 16 * 1024) {
            throw PyroException.invalidArgument("disk size must be 1 to 16384 GiB, got " + sizeGib);
        }
        createBytes(path, sizeGib * GIB);
    }

    /** {@link #create} with a size in bytes (a multiple of 1 MiB, at least 64 MiB; tests use small disks). */
    public static void createBytes(Path path, long sizeBytes) {
        if (sizeBytes < (64L << 20) || sizeBytes % (1L << 20) != 0) {
            throw PyroException.invalidArgument("disk size must be a multiple of 1 MiB and at least 64 MiB, got "
                    + sizeBytes + " bytes");
        }
        Path target = path.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "disk " + target
                    + " already exists; delete it first or choose another path");
        }
        Path tmp = target.resolveSibling("." + target.getFileName() + ".creating-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(target.getParent());
            Files.deleteIfExists(tmp);
            try (RandomAccessFile f = new RandomAccessFile(tmp.toFile(), "rw")) {
                f.setLength(sizeBytes); // sparse: no block is allocated yet
            }
            List<String> base = List.of(tool("mke2fs"), "-q", "-F", "-t", "ext4", "-m", "0", "-L", LABEL);
            Result r = run(concat(base, List.of("-E", "assume_storage_prezeroed=1,nodiscard", tmp.toString())));
            if (r.exitCode() != 0 && r.output().contains("assume_storage_prezeroed")) {
                // e2fsprogs before 1.47 does not know the option; the guest zeroes lazily instead.
                r = run(concat(base, List.of("-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard",
                        tmp.toString())));
            }
            if (r.exitCode() != 0) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "mke2fs failed to make the disk " + target
                        + " (exit " + r.exitCode() + "): " + firstLine(r.output()) + "; check free space in "
                        + target.getParent());
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "disk " + target
                        + " appeared while it was being made; delete it first or choose another path");
            }
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot make the disk " + target + ": "
                    + e.getMessage() + "; check the permissions and free space of " + target.getParent(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // best effort; the name says what it was
            }
        }
    }

    /**
     * Checks the filesystem read-only ({@code e2fsck -fn}): forced full check, answering no to
     * every repair, so it never changes the disk. Do not run it on the disk of a running VM
     * (the result would be meaningless); tests use it after a stop.
     */
    public static CheckResult check(Path path) {
        try {
            Result r = run(List.of(tool("e2fsck"), "-fn", path.toAbsolutePath().toString()));
            return new CheckResult(r.exitCode() == 0, r.exitCode(), r.output());
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot check the disk " + path + ": "
                    + e.getMessage(), e);
        }
    }

    /** Bytes the disk really occupies on the host (allocated blocks; a sparse disk is far below its size). */
    public static long allocatedBytes(Path path) {
        try {
            Result r = run(List.of(tool("stat"), "-c", "%b %B", path.toAbsolutePath().toString()));
            String[] f = r.output().strip().split(" ");
            if (r.exitCode() != 0 || f.length != 2) {
                throw new IOException(firstLine(r.output()));
            }
            return Long.parseLong(f[0]) * Long.parseLong(f[1]);
        } catch (IOException | NumberFormatException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot read the size of the disk " + path + ": "
                    + e.getMessage(), e);
        }
    }

    /** The disk's apparent size (what the guest sees). */
    public static long sizeBytes(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.NOT_FOUND, "disk " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish within " + TOOL_TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while running " + command.get(0));
        }
    }

    private static String tool(String name) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        String pkg = name.equals("stat") ? "coreutils" : "e2fsprogs";
        throw new PyroException(PyroException.Kind.HOST_SETUP, name + " not found; install it with: apt-get install -y "
                + pkg);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String firstLine(String s) {
        return s.strip().lines().findFirst().orElse("(no output)");
    }
}
