package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The entries of a host directory tree, depth first, names in byte order: directories (empty
 * ones too), regular files (mode and time kept), symlinks as symlinks (their content, not
 * what they point to), and files with several links inside the tree as one file plus
 * hardlink entries. Names are raw bytes ({@link RawNames}), so non-UTF-8 names survive.
 * Sockets, fifos and devices cannot be carried: they are rejected, naming the path.
 *
 * <p>The walk uses {@link SecureDirectoryStream} (openat with {@code O_NOFOLLOW} on Linux): a
 * directory that is swapped for a symlink while the walk runs is not followed. Memory: one
 * sorted listing per directory level, plus the identity of every regular file (for hardlinks).
 */
public final class DirectorySource implements EntrySource {
    private static final byte[] EMPTY = new byte[0];

    private final Path root;
    private final boolean emitRoot;
    private final String label;
    private final String consequence;
    private final Deque<Level> stack = new ArrayDeque<>();
    /** File identity (device, inode) to the first path it was seen at. */
    private final Map<Object, byte[]> files = new HashMap<>();
    private boolean started;
    private Opener currentOpener;
    private byte[] currentPath;
    private InputStream current;
    private long done;

    /** One directory being listed: its open handle and the children not yet returned. */
    private record Level(SecureDirectoryStream<Path> dir, Path path, byte[] prefix, Iterator<Child> children) {
    }

    private record Child(Path name, byte[] bytes) {
    }

    @FunctionalInterface
    private interface Opener {
        InputStream open() throws IOException;
    }

    private DirectorySource(Path root, boolean emitRoot, String label, String consequence) {
        this.root = root;
        this.emitRoot = emitRoot;
        this.label = label;
        this.consequence = consequence;
    }

    /**
     * The contents of directory {@code dir} (not the directory itself), for a seed or sync; a
     * symlink given as {@code dir} is followed.
     *
     * @param label what to call an entry in messages, e.g. "seed directory entry"
     */
    public static DirectorySource contentsOf(Path dir, String label) {
        return new DirectorySource(dir, false, label, "nothing was imported");
    }

    /**
     * {@code path} itself as the root entry (empty path; a symlink is not followed) and, if it
     * is a directory, everything below it: the stream an export carries.
     */
    public static DirectorySource exportOf(Path path) {
        return new DirectorySource(path, true, "workspace entry", "nothing was exported");
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public Entry next() {
        closeCurrent();
        try {
            if (!started) {
                started = true;
                if (emitRoot) {
                    return rootEntry();
                }
                push(openRoot(), root, EMPTY);
            }
            while (!stack.isEmpty()) {
                Level level = stack.peek();
                if (!level.children().hasNext()) {
                    stack.pop().dir().close();
                    continue;
                }
                Child child = level.children().next();
                byte[] rel = join(level.prefix(), child.bytes());
                Entry entry = describe(level.dir(), child.name(), level.path().resolve(child.name()), rel);
                if (entry != null) {
                    return entry;
                }
            }
            return null;
        } catch (IOException e) {
            throw unreadable(currentPathForMessage(), e);
        }
    }

    private Path currentPathForMessage() {
        return stack.isEmpty() ? root : stack.peek().path();
    }

    private Entry rootEntry() throws IOException {
        PosixFileAttributes a = Files.readAttributes(root, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isDirectory()) {
            push(openRoot(), root, EMPTY);
            return Entry.directory(EMPTY, mode(a), nanos(a.lastModifiedTime()));
        }
        if (a.isRegularFile()) {
            currentOpener = () -> Files.newInputStream(root, LinkOption.NOFOLLOW_LINKS);
            currentPath = EMPTY;
            return Entry.file(EMPTY, mode(a), nanos(a.lastModifiedTime()), a.size());
        }
        if (a.isSymbolicLink()) {
            return Entry.symlink(EMPTY, RawNames.linkBytes(Files.readSymbolicLink(root)), nanos(a.lastModifiedTime()));
        }
        throw EntryRejectedException.of(label, root.toString(), "a fifo, socket or device cannot be exported",
                consequence, "export a file, a directory or a symlink");
    }

    @SuppressWarnings("unchecked")
    private SecureDirectoryStream<Path> openRoot() throws IOException {
        DirectoryStream<Path> ds = Files.newDirectoryStream(root);
        if (ds instanceof SecureDirectoryStream<?> sds) {
            return (SecureDirectoryStream<Path>) sds;
        }
        ds.close();
        // Linux always has openat; other systems are not supported hosts.
        throw new PyroException(PyroException.Kind.HOST_SETUP, "this Java runtime cannot walk " + root
                + " without following symlinks (no SecureDirectoryStream); use a Linux JDK");
    }

    private void push(SecureDirectoryStream<Path> dir, Path path, byte[] prefix) throws IOException {
        List<Child> children = new ArrayList<>();
        try {
            for (Path name : dir) {
                Path fileName = name.getFileName();
                children.add(new Child(fileName, RawNames.bytes(fileName)));
            }
        } catch (UncheckedIOException | java.nio.file.DirectoryIteratorException e) {
            dir.close();
            throw (IOException) e.getCause();
        }
        children.sort((x, y) -> Arrays.compareUnsigned(x.bytes(), y.bytes()));
        stack.push(new Level(dir, path, prefix, children.iterator()));
    }

    /** The entry for one child; null if it vanished since the listing. */
    private Entry describe(SecureDirectoryStream<Path> dir, Path name, Path full, byte[] rel) throws IOException {
        PosixFileAttributes a;
        try {
            a = dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
        } catch (NoSuchFileException e) {
            return null; // deleted while we walk: as if it had not been there
        }
        long mtime = nanos(a.lastModifiedTime());
        if (a.isDirectory()) {
            SecureDirectoryStream<Path> sub;
            try {
                sub = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                throw unreadable(full, e);
            }
            push(sub, full, rel);
            return Entry.directory(rel, mode(a), mtime);
        }
        if (a.isRegularFile()) {
            Object key = a.fileKey();
            if (key != null) {
                byte[] first = files.putIfAbsent(key, rel);
                if (first != null) {
                    return Entry.hardlink(rel, first);
                }
            }
            currentOpener = () -> Channels.newInputStream(dir.newByteChannel(name,
                    Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)));
            currentPath = rel;
            return Entry.file(rel, mode(a), mtime, a.size());
        }
        if (a.isSymbolicLink()) {
            return Entry.symlink(rel, RawNames.linkBytes(Files.readSymbolicLink(full)), mtime);
        }
        throw EntryRejectedException.of(label, RawNames.display(rel), "a " + specialKind(full) + " cannot be "
                + (emitRoot ? "exported" : "imported") + " (only files, directories and symlinks)", consequence,
                emitRoot ? "remove it, or export a directory without it" : "remove it, or seed from a copy without it");
    }

    @Override
    public InputStream content() {
        if (current == null) {
            if (currentOpener == null) {
                throw new IllegalStateException("no file entry is current");
            }
            try {
                current = new CountingStream(currentOpener.open());
            } catch (IOException e) {
                throw unreadable(RawNames.resolve(root, currentPath), e);
            }
        }
        return current;
    }

    @Override
    public PyroException contentFailed(Entry entry, long got, IOException cause) {
        Path p = RawNames.resolve(root, entry.path());
        if (cause == null) {
            return new PyroException(PyroException.Kind.INVALID_ARGUMENT, p + " shrank from " + entry.size() + " to "
                    + got + " bytes while it was being read; " + consequence + " (retry when nothing writes to it)");
        }
        return unreadable(p, cause);
    }

    private PyroException unreadable(Path p, IOException e) {
        String why = e instanceof AccessDeniedException ? "permission denied"
                : e instanceof NoSuchFileException ? "it vanished while it was being read"
                : e.getMessage() != null && e.getMessage().contains("ELOOP") || String.valueOf(e.getMessage())
                        .contains("symbolic links") ? "it was replaced by a symlink while it was being read"
                : String.valueOf(e.getMessage());
        String fix = e instanceof AccessDeniedException ? "make it readable or leave it out" : "check the source";
        return new PyroException(PyroException.Kind.INVALID_ARGUMENT, "cannot read " + p + ": " + why + "; "
                + consequence + " (" + fix + ")", e);
    }

    @Override
    public long progressDone() {
        return done;
    }

    @Override
    public long progressTotal() {
        long[] total = {0};
        java.util.Set<Object> seen = new java.util.HashSet<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    // hardlinks are sent once
                    if (attrs.isRegularFile() && (attrs.fileKey() == null || seen.add(attrs.fileKey()))) {
                        total[0] += attrs.size();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            return -1;
        }
        return total[0];
    }

    @Override
    public void close() {
        closeCurrent();
        while (!stack.isEmpty()) {
            try {
                stack.pop().dir().close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    private void closeCurrent() {
        currentOpener = null;
        if (current != null) {
            try {
                current.close();
            } catch (IOException e) {
                // reading is over
            }
            current = null;
        }
    }

    private static byte[] join(byte[] prefix, byte[] name) {
        if (prefix.length == 0) {
            return name;
        }
        byte[] out = new byte[prefix.length + 1 + name.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        out[prefix.length] = '/';
        System.arraycopy(name, 0, out, prefix.length + 1, name.length);
        return out;
    }

    /** Permission bits (Java's view has no setuid, setgid or sticky: they are stripped anyway). */
    static int mode(PosixFileAttributes a) {
        int mode = 0;
        for (PosixFilePermission p : a.permissions()) {
            mode |= 0400 >> p.ordinal();
        }
        return mode;
    }

    static long nanos(FileTime t) {
        long ns = t.to(TimeUnit.NANOSECONDS);
        return Math.max(0, ns);
    }

    private static String specialKind(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int type = ((Integer) mode) & 0170000;
            return switch (type) {
                case 0010000 -> "fifo";
                case 0140000 -> "socket";
                case 0020000 -> "character device";
                case 0060000 -> "block device";
                default -> "special file";
            };
        } catch (IOException | RuntimeException e) {
            return "special file (fifo, socket or device)";
        }
    }

    /** Counts the bytes read, for progress. */
    private final class CountingStream extends InputStream {
        private final InputStream in;

        CountingStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                done++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                done += n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
