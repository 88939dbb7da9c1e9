package dev.pyro.internal.archive;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Writes a checked entry stream (see {@link EntryValidator}) into a fresh private directory on
 * the host: the staging tree of a host-compat import, or the temporary tree of an export.
 * Nothing is ever written through a symlink: every parent is a directory this writer made
 * itself ({@code mkdir} fails on anything already there, a symlink included), files are created
 * with {@code O_CREAT | O_EXCL | O_NOFOLLOW}, and modes and times are set without following
 * links. Files are written with mode 0600 and directories with 0700 while the stream runs;
 * their own modes (masked by the writer's mode mask) and directory times are applied at
 * {@link #finish()}, deepest first, so a read-only directory does not block its contents.
 * Directories the stream implies without naming get 0755.
 */
final class TreeWriter implements EntrySink, Closeable {
    private static final int IMPLICIT_DIR_MODE = 0755;
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    private final Path root;
    private final int modeMask;
    /**
     * The directories made here (each one a real directory, created by this writer), with the
     * mode and time to apply at the end; a later entry for the same path wins. A tree of
     * components, not a set of paths: memory stays linear in the names however deep they go.
     */
    private final PathTree<DirMeta> dirs = new PathTree<>(null);
    private FileChannel file;
    private Path filePath;
    private Entry fileEntry;
    private long fileLeft;

    private static final class DirMeta {
        int mode;
        long mtimeNs;
        boolean implicit;

        DirMeta(int mode, long mtimeNs, boolean implicit) {
            this.mode = mode;
            this.mtimeNs = mtimeNs;
            this.implicit = implicit;
        }
    }

    /** @param root an existing, empty, private directory that the caller created */
    TreeWriter(Path root) {
        this(root, 07777);
    }

    /**
     * @param modeMask permission bits kept of the entries' modes (an export keeps no group or
     *     other write: 0755)
     */
    TreeWriter(Path root, int modeMask) {
        this.root = root;
        this.modeMask = modeMask;
    }

    @Override
    public void entry(Entry e) throws IOException {
        if (file != null) {
            throw new IllegalStateException("entry before the end of " + fileEntry);
        }
        byte[] path = e.path();
        int slash = lastSlash(path);
        PathTree.Node parent = parent(path, slash);
        Path target = RawNames.resolve(root, path);
        switch (e.kind()) {
            case DIRECTORY -> {
                PathTree.Node node = dirs.child(parent, path, slash + 1, path.length);
                if (node == null) {
                    createDirectory(target);
                    dirs.add(parent, path, slash + 1, path.length, new DirMeta(e.mode(), e.mtimeNs(), false));
                } else {
                    DirMeta d = dirs.value(node);
                    d.mode = e.mode();
                    d.mtimeNs = e.mtimeNs();
                    d.implicit = false;
                }
            }
            case FILE -> {
                file = FileChannel.open(target, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
                filePath = target;
                fileEntry = e;
                fileLeft = e.size();
                if (fileLeft == 0) {
                    finishFile();
                }
            }
            case SYMLINK -> {
                Files.createSymbolicLink(target, RawNames.linkTarget(e.target()));
                setTime(target, e.mtimeNs(), true);
            }
            case HARDLINK -> {
                Path existing = RawNames.resolve(root, e.target());
                BasicFileAttributes a = Files.readAttributes(existing, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile()) {
                    throw new IOException("hardlink target " + existing + " is not a regular file");
                }
                Files.createLink(target, existing);
            }
        }
    }

    @Override
    public void data(byte[] buffer, int offset, int length) throws IOException {
        if (file == null || length > fileLeft) {
            throw new IllegalStateException("data beyond the current file");
        }
        ByteBuffer b = ByteBuffer.wrap(buffer, offset, length);
        while (b.hasRemaining()) {
            file.write(b);
        }
        fileLeft -= length;
        if (fileLeft == 0) {
            finishFile();
        }
    }

    private void finishFile() throws IOException {
        FileChannel f = file;
        file = null;
        f.close();
        setMode(filePath, fileEntry.mode() & modeMask);
        setTime(filePath, fileEntry.mtimeNs(), false);
    }

    /** True while a file's data is still expected. */
    boolean inFile() {
        return file != null;
    }

    /** Applies directory modes and times, deepest first. Call once, after the last entry. */
    void finish() throws IOException {
        if (file != null) {
            throw new IllegalStateException("finish before the end of " + fileEntry);
        }
        List<PathTree.Node> all = dirs.all();
        all.sort((a, b) -> Integer.compare(b.depth, a.depth));
        for (PathTree.Node n : all) {
            DirMeta d = dirs.value(n);
            Path p = RawNames.resolve(root, n.path());
            setMode(p, d.mode & modeMask);
            if (!d.implicit) {
                setTime(p, d.mtimeNs, false);
            }
        }
    }

    /**
     * The directory an entry goes in, created (with its missing parents, mode 0755) if needed.
     * Only directories this writer made are ever entered, so nothing is written through a link.
     */
    private PathTree.Node parent(byte[] path, int slash) throws IOException {
        PathTree.Node dir = dirs.root();
        int start = 0;
        for (int i = 0; i <= slash; i++) {
            if (path[i] != '/') {
                continue;
            }
            PathTree.Node next = dirs.child(dir, path, start, i);
            if (next == null) {
                createDirectory(RawNames.resolve(root, java.util.Arrays.copyOf(path, i)));
                next = dirs.add(dir, path, start, i, new DirMeta(IMPLICIT_DIR_MODE, 0, true));
            }
            dir = next;
            start = i + 1;
        }
        return dir;
    }

    private static void createDirectory(Path dir) throws IOException {
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
        } catch (FileAlreadyExistsException x) {
            // The stream's checks make this impossible; refuse rather than write into something
            // this writer did not make.
            throw new IOException(dir + " exists already: nothing is written through it");
        }
    }

    static boolean isRealDirectory(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isDirectory();
        } catch (IOException e) {
            return false;
        }
    }

    static void setMode(Path p, int mode) throws IOException {
        Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setPermissions(permissions(mode));
    }

    /** Sets the modification time; for a symlink best effort (not every platform can). */
    static void setTime(Path p, long mtimeNs, boolean symlink) throws IOException {
        FileTime t = FileTime.from(mtimeNs, TimeUnit.NANOSECONDS);
        try {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(t, null,
                    null);
        } catch (IOException | UnsupportedOperationException e) {
            if (!symlink) {
                throw e;
            }
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & (0400 >> p.ordinal())) != 0) {
                set.add(p);
            }
        }
        return set;
    }

    private static int lastSlash(byte[] path) {
        for (int i = path.length - 1; i >= 0; i--) {
            if (path[i] == '/') {
                return i;
            }
        }
        return -1;
    }

    /** Closes a file left open by a failed stream (its tree is deleted by the caller). */
    @Override
    public void close() {
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                // the tree is being thrown away
            }
            file = null;
        }
    }
}
