package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import dev.pyro.internal.guest.ExportSink;
import dev.pyro.internal.guest.ExportSummary;
import dev.pyro.internal.guest.Frame;
import dev.pyro.internal.guest.GuestStat;
import dev.pyro.internal.guest.ImportSummary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A host-compat workspace: a host directory stands for {@code /workspace} (only used when the
 * user allowed running without a VM). Imports follow the guest's rules and atomicity: they are
 * staged in {@code <root>.pyro-sync/<id>/new} (a sibling of the root, so on the same
 * filesystem and invisible inside the workspace) with {@link TreeWriter} (never through a
 * symlink), then applied by {@link HostApply} with an undo journal. An import whose process
 * died is rolled back (or its staging removed) by the next {@link #open}. Exports walk the
 * directory with {@link DirectorySource} (symlinks exported as symlinks).
 *
 * <p>Each import holds an exclusive lock on its staging directory, and applies are serialized
 * per workspace (in this JVM and across processes), so concurrent syncs do not interleave.
 */
public final class HostWorkspace implements WorkspaceFiles {
    private static final ConcurrentHashMap<Path, ReentrantLock> APPLY_LOCKS = new ConcurrentHashMap<>();

    private final Path root;
    private final Path staging;
    /** Tests: make every apply fail before this rename step; -1 never. */
    volatile int testFailApplyStep = -1;
    /** Tests: halt the JVM before this rename step (a crash); -1 never. */
    volatile int testCrashApplyStep = -1;

    private HostWorkspace(Path root) {
        this.root = root;
        this.staging = root.resolveSibling(root.getFileName() + ".pyro-sync");
    }

    /**
     * Opens the workspace directory {@code root} (which must exist) and recovers imports that a
     * dead process left behind.
     */
    public static HostWorkspace open(Path root) {
        Path abs = root.toAbsolutePath().normalize();
        if (!TreeWriter.isRealDirectory(abs)) {
            throw new PyroException(PyroException.Kind.NOT_FOUND, "host-compat workspace directory " + abs
                    + " does not exist or is not a directory");
        }
        HostWorkspace ws = new HostWorkspace(abs);
        ws.recover();
        return ws;
    }

    /** The directory that stands for /workspace. */
    public Path root() {
        return root;
    }

    /**
     * Where imports are staged (exists only while an import runs); the apply lock
     * {@code <root>.pyro-sync.lock} stays next to it.
     */
    public Path stagingDirectory() {
        return staging;
    }

    @Override
    public String describe() {
        return "the host-compat workspace " + root;
    }

    // ---- imports

    @Override
    public ImportSession beginImport(String dest, ImportCaps caps) {
        String rel = WorkspacePaths.relative(WorkspacePaths.normalize(dest, "destination"));
        checkDestination(rel);
        try {
            return new HostImport(rel);
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot stage an import for " + root + " in "
                    + staging + ": " + e.getMessage() + "; check the disk and permissions", e);
        }
    }

    /** Every existing part of the destination must be a real directory (not a symlink or file). */
    private void checkDestination(String rel) {
        if (rel.isEmpty()) {
            return;
        }
        Path p = root;
        String shown = WorkspacePaths.ROOT;
        for (String part : rel.split("/")) {
            p = p.resolve(RawNames.component(part.getBytes(StandardCharsets.UTF_8)));
            shown += "/" + part;
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            if (!TreeWriter.isRealDirectory(p)) {
                throw PyroException.invalidArgument("cannot import into " + WorkspacePaths.ROOT + "/" + rel + ": "
                        + shown + " exists and is " + (Files.isSymbolicLink(p) ? "a symlink" : "not a directory")
                        + "; nothing was imported (choose another destination)");
            }
        }
    }

    /** One staged import: its directory, lock and writer. */
    private final class HostImport implements ImportSession {
        private final Path sync;
        private final Path dest;
        private final FileChannel lockFile;
        private final FileLock lock;
        private final TreeWriter writer;
        /** Bytes the workspace's filesystem had free when the import began. */
        private final long free;
        private long entries;
        private long bytes;

        HostImport(String rel) throws IOException {
            Files.createDirectories(staging);
            this.sync = Files.createTempDirectory(staging, "import-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            FileChannel lf = null;
            FileLock l = null;
            try {
                lf = FileChannel.open(sync.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                l = lf.lock();
                Files.createDirectory(sync.resolve("old"));
                Path dest = Files.createDirectory(sync.resolve("new"));
                if (!rel.isEmpty()) {
                    for (String part : rel.split("/")) {
                        dest = Files.createDirectory(dest.resolve(RawNames.component(part.getBytes(
                                StandardCharsets.UTF_8))));
                        TreeWriter.setMode(dest, 0755);
                    }
                }
                this.writer = new TreeWriter(dest);
                this.dest = dest;
                this.free = Files.getFileStore(sync).getUsableSpace();
            } catch (IOException | RuntimeException e) {
                if (lf != null) {
                    lf.close();
                }
                Trees.deleteQuietly(sync);
                throw e;
            }
            this.lockFile = lf;
            this.lock = l;
        }

        @Override
        public Optional<Path> hostDirectory() {
            return Optional.of(dest);
        }

        /**
         * Refuses a file whose declared size no longer fits the disk before any of its data is
         * read: a gzip bomb that would fill the host's disk fails at its header.
         */
        @Override
        public void entry(Entry e) throws IOException {
            if (e.size() > free - bytes) {
                throw PyroException.invalidArgument("entry '" + e.displayPath() + "' of " + e.size() + " bytes does "
                        + "not fit: the disk of " + root + " had " + free + " bytes free and the import has "
                        + bytes + " bytes before it; nothing was imported (free space on that disk or import less)");
            }
            writer.entry(e);
            entries++;
            bytes += e.size();
        }

        @Override
        public void data(byte[] buffer, int offset, int length) throws IOException {
            writer.data(buffer, offset, length);
        }

        @Override
        public ImportSummary commit() {
            ReentrantLock jvmLock = APPLY_LOCKS.computeIfAbsent(root, r -> new ReentrantLock());
            jvmLock.lock();
            try (FileChannel applyLock = FileChannel.open(applyLockFile(), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                FileLock l = applyLock.lock(); // released when the channel closes
                writer.finish();
                new HostApply(root, sync, testFailApplyStep, testCrashApplyStep).apply();
                l.release();
                return new ImportSummary(entries, bytes);
            } catch (IOException e) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "applying the import to " + root + " failed: "
                        + e.getMessage() + "; the workspace is unchanged", e);
            } finally {
                jvmLock.unlock();
                close();
            }
        }

        @Override
        public void close() {
            writer.close();
            try {
                lock.release();
                lockFile.close();
            } catch (IOException e) {
                // the staging is removed below either way
            }
            Trees.deleteQuietly(sync);
            removeStagingIfEmpty();
        }
    }

    /**
     * The lock that serializes applies across processes: a sibling file that is never deleted
     * (deleting a lock file lets two processes lock two different files).
     */
    private Path applyLockFile() {
        return root.resolveSibling(root.getFileName() + ".pyro-sync.lock");
    }

    private void removeStagingIfEmpty() {
        try {
            Files.deleteIfExists(staging);
        } catch (IOException e) {
            // not empty: another import is staging
        }
    }

    /** Rolls back or removes every import whose owner is gone (its lock is free). */
    private void recover() {
        if (!Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(staging, "import-*")) {
            for (Path sync : ds) {
                try (FileChannel lf = FileChannel.open(sync.resolve("lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE)) {
                    FileLock l = lf.tryLock();
                    if (l == null) {
                        continue; // a live import of another process
                    }
                    try {
                        HostApply.undo(root, sync);
                    } finally {
                        l.release();
                    }
                } catch (OverlappingFileLockException e) {
                    continue; // a live import of this JVM
                } catch (IOException e) {
                    throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot roll back the unfinished import "
                            + sync + " of workspace " + root + ": " + e.getMessage()
                            + "; repair or remove it by hand", e);
                }
                Trees.deleteQuietly(sync);
            }
        } catch (IOException e) {
            return;
        }
        removeStagingIfEmpty();
    }

    // ---- exports and stat

    @Override
    public ExportSummary export(String path, ExportSink sink, java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path p = resolve(path);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new PyroException(PyroException.Kind.NOT_FOUND, "export of a missing path: " + path
                    + " does not exist in " + describe());
        }
        long entries = 0;
        long bytes = 0;
        byte[] buffer = new byte[EntryPump.BUFFER];
        try (DirectorySource source = DirectorySource.exportOf(p)) {
            Entry e;
            while ((e = source.next()) != null) {
                checkDeadline(deadline, path, timeout);
                sink.entry(e.kind().wire(), e.path(), ImportPolicy.keptMode(e.mode()), e.kind() == EntryKind.HARDLINK
                        ? 0 : e.mtimeNs(), e.size(), e.target());
                entries++;
                if (e.kind() == EntryKind.FILE) {
                    InputStream in = source.content();
                    long left = e.size();
                    while (left > 0) {
                        int n;
                        try {
                            n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                        } catch (IOException x) {
                            throw source.contentFailed(e, e.size() - left, x);
                        }
                        if (n < 0) {
                            throw source.contentFailed(e, e.size() - left, null);
                        }
                        sink.data(buffer, 0, n);
                        left -= n;
                        bytes += n;
                        checkDeadline(deadline, path, timeout);
                    }
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new ExportSummary(entries, bytes, 0);
    }

    private static void checkDeadline(long deadline, String path, java.time.Duration timeout) {
        if (System.nanoTime() - deadline > 0) {
            throw new dev.pyro.internal.guest.TransferTimeoutException("the export of " + path + " took longer than "
                    + timeout.toSeconds() + " s", timeout);
        }
    }

    @Override
    public Optional<GuestStat> stat(String path) {
        Path p;
        try {
            p = resolve(path);
        } catch (PyroException e) {
            if (e.kind() == PyroException.Kind.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
        try {
            PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int kind = a.isDirectory() ? Frame.KIND_DIRECTORY : a.isRegularFile() ? Frame.KIND_FILE
                    : a.isSymbolicLink() ? Frame.KIND_SYMLINK : Frame.KIND_OTHER;
            byte[] target = a.isSymbolicLink() ? RawNames.linkBytes(Files.readSymbolicLink(p)) : new byte[0];
            return Optional.of(new GuestStat(kind, DirectorySource.mode(a), a.isRegularFile() ? a.size() : 0,
                    DirectorySource.nanos(a.lastModifiedTime()), target));
        } catch (NoSuchFileException | NotDirectoryException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot stat " + p + ": " + e.getMessage(), e);
        }
    }

    /**
     * The host path of a workspace path: directories on the way may be symlinks as long as they
     * stay inside the workspace (like the agent); the last component is not followed.
     */
    private Path resolve(String path) {
        String normalized = WorkspacePaths.normalize(path, "path");
        String rel = WorkspacePaths.relative(normalized);
        if (rel.isEmpty()) {
            return root;
        }
        byte[] bytes = rel.getBytes(StandardCharsets.UTF_8);
        int slash = rel.lastIndexOf('/');
        Path parent = slash < 0 ? root : RawNames.resolve(root, rel.substring(0, slash).getBytes(StandardCharsets.UTF_8));
        try {
            Path real = parent.toRealPath();
            if (!real.startsWith(root.toRealPath())) {
                throw PyroException.invalidArgument(normalized + ": a symlink on the way leads out of "
                        + WorkspacePaths.ROOT);
            }
            byte[] leaf = java.util.Arrays.copyOfRange(bytes, slash + 1, bytes.length);
            return real.resolve(RawNames.component(leaf));
        } catch (NoSuchFileException | NotDirectoryException e) {
            throw new PyroException(PyroException.Kind.NOT_FOUND, "export of a missing path: " + normalized
                    + " does not exist in " + describe());
        } catch (FileSystemException e) {
            if (String.valueOf(e.getReason()).contains("Not a directory")) {
                throw new PyroException(PyroException.Kind.NOT_FOUND, "export of a missing path: " + normalized
                        + " does not exist in " + describe());
            }
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot resolve " + normalized + " in " + root + ": "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot resolve " + normalized + " in " + root + ": "
                    + e.getMessage(), e);
        }
    }
}
