package dev.pyro.internal.archive;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
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
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Writes a checked entry stream (see {@link EntryValidator}) into a fresh private directory on
 * the host: the staging tree of a host-compat import, or the temporary tree of an export.
 * Nothing is ever written through a symlink: every parent is checked to be a real directory
 * ({@code lstat}) before anything is created in it, files are created with
 * {@code O_CREAT | O_EXCL | O_NOFOLLOW}, and modes and times are set without following links.
 * Files are written with mode 0600 and directories with 0700 while the stream runs; their own
 * modes (and directory times) are applied at {@link #finish()}, deepest first, so a read-only
 * directory does not block its contents. Directories the stream implies without naming get
 * 0755.
 */
final class TreeWriter implements EntrySink, Closeable {
    private static final int IMPLICIT_DIR_MODE = 0755;
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    private final Path root;
    /** Directories (ISO-8859-1 keys of relative paths) known to be real directories made here. */
    private final Set<String> verified = new HashSet<>();
    /** Directory modes and times to apply at the end; a later entry for the same path wins. */
    private final Map<String, DirMeta> dirs = new LinkedHashMap<>();
    private FileChannel file;
    private Path filePath;
    private Entry fileEntry;
    private long fileLeft;

    private record DirMeta(Path path, int depth, int mode, long mtimeNs, boolean implicit) {
    }

    /** @param root an existing, empty, private directory that the caller created */
    TreeWriter(Path root) {
        this.root = root;
        verified.add("");
    }

    @Override
    public void entry(Entry e) throws IOException {
        if (file != null) {
            throw new IllegalStateException("entry before the end of " + fileEntry);
        }
        byte[] path = e.path();
        int slash = lastSlash(path);
        Path parent = parent(path, slash);
        byte[] leafBytes = new byte[path.length - slash - 1];
        System.arraycopy(path, slash + 1, leafBytes, 0, leafBytes.length);
        Path target = parent.resolve(RawNames.component(leafBytes));
        String key = key(path);
        switch (e.kind()) {
            case DIRECTORY -> {
                if (!verified.contains(key)) {
                    try {
                        Files.createDirectory(target, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
                    } catch (FileAlreadyExistsException x) {
                        if (!isRealDirectory(target)) {
                            throw new IOException(target + " exists and is not a directory");
                        }
                    }
                    verified.add(key);
                }
                dirs.put(key, new DirMeta(target, ImportPolicy.depth(path), e.mode(), e.mtimeNs(), false));
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
        setMode(filePath, fileEntry.mode());
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
        List<DirMeta> all = new ArrayList<>(dirs.values());
        all.sort((a, b) -> Integer.compare(b.depth(), a.depth()));
        for (DirMeta d : all) {
            setMode(d.path(), d.mode());
            if (!d.implicit()) {
                setTime(d.path(), d.mtimeNs(), false);
            }
        }
    }

    /** The directory an entry goes in, created (with its missing parents) if needed. */
    private Path parent(byte[] path, int slash) throws IOException {
        Path dir = root;
        int start = 0;
        for (int i = 0; i <= slash; i++) {
            if (path[i] != '/') {
                continue;
            }
            byte[] comp = new byte[i - start];
            System.arraycopy(path, start, comp, 0, comp.length);
            dir = dir.resolve(RawNames.component(comp));
            String key = new String(path, 0, i, StandardCharsets.ISO_8859_1);
            if (!verified.contains(key)) {
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
                    dirs.put(key, new DirMeta(dir, depthOf(path, i), IMPLICIT_DIR_MODE, 0, true));
                } catch (FileAlreadyExistsException x) {
                    if (!isRealDirectory(dir)) {
                        throw new IOException(dir + " exists and is not a directory: nothing is written through it");
                    }
                }
                verified.add(key);
            }
            start = i + 1;
        }
        return dir;
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

    /** Components in the first {@code end} bytes of a path. */
    private static int depthOf(byte[] path, int end) {
        int n = 1;
        for (int i = 0; i < end; i++) {
            if (path[i] == '/') {
                n++;
            }
        }
        return n;
    }

    private static int lastSlash(byte[] path) {
        for (int i = path.length - 1; i >= 0; i--) {
            if (path[i] == '/') {
                return i;
            }
        }
        return -1;
    }

    private static String key(byte[] path) {
        return new String(path, StandardCharsets.ISO_8859_1);
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
