package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import dev.pyro.TransferResult;
import dev.pyro.internal.guest.ExportSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes an export stream to a host path that must not exist yet. Everything is built in a
 * temporary sibling ({@code .<name>.pyro-export-<random>}, mode 0700 while it is written) and
 * renamed to the output at {@link #commit()}; on any failure the temporary is deleted, so the
 * output either appears complete or not at all and nothing else is touched.
 *
 * <p>The guest is not trusted: every entry below the root goes through the same
 * {@link EntryValidator} as an import (no absolute names, no {@code ..}, no symlink that leads
 * out of the output, nothing written through a link, each path once, hardlinks only to earlier
 * files, the caps, host paths within Linux's limit), and {@link TreeWriter} never follows a
 * link. The output itself is never a symlink (a later {@code sync push} of it would follow
 * one): an export whose root is a symlink is refused. Host files get the guest's permission
 * bits masked with {@value #MODE_MASK}: no setuid, setgid or sticky bit, no write for group or
 * others.
 */
public final class ExportWriter implements ExportSink, AutoCloseable {
    /** Permission bits an exported file or directory may have on the host. */
    static final int MODE_MASK = 0755;

    private final Path output;
    private final Path temp;
    private final EntryValidator validator;
    private final java.util.function.LongConsumer onBytes;
    private TransferResult.ArtifactType rootType;
    private Entry rootEntry;
    private TreeWriter tree;
    private FileChannel rootFile;
    private long rootFileLeft;
    private long entries;
    private long bytes;
    private boolean committed;

    private ExportWriter(Path output, ImportCaps caps, java.util.function.LongConsumer onBytes) {
        this.output = output;
        this.temp = output.resolveSibling("." + output.getFileName() + ".pyro-export-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
        this.validator = new EntryValidator("exported entry", "nothing was written to " + output, "", caps)
                .limitHostPaths(temp);
        this.onBytes = onBytes;
    }

    /**
     * Checks {@code output} can be created: it does not exist (not even as a broken symlink)
     * and its parent is an existing directory.
     *
     * @throws PyroException {@code INVALID_ARGUMENT} naming the problem; nothing is touched
     */
    public static void checkOutput(Path output) {
        if (Files.exists(output, LinkOption.NOFOLLOW_LINKS)) {
            throw PyroException.invalidArgument("output path " + output + " already exists; choose a path that does "
                    + "not exist (nothing was changed)");
        }
        Path parent = output.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw PyroException.invalidArgument("the directory of output path " + output
                    + " does not exist; create it first or choose another output");
        }
        if (!Files.isWritable(parent)) {
            throw PyroException.invalidArgument("cannot write to " + parent + " (permission denied); choose another "
                    + "output path");
        }
    }

    /**
     * A writer for {@code output} (absolute; checked with {@link #checkOutput}).
     *
     * @param onBytes called with the file bytes written so far, for progress
     */
    public static ExportWriter create(Path output, ImportCaps caps, java.util.function.LongConsumer onBytes) {
        Path out = output.toAbsolutePath().normalize();
        checkOutput(out);
        return new ExportWriter(out, caps, onBytes);
    }

    @Override
    public void entry(int kind, byte[] path, int mode, long mtimeNs, long size, byte[] target) throws IOException {
        EntryKind k = EntryKind.ofWire(kind);
        if (rootEntry == null) {
            root(k, kind, mode, mtimeNs, size, target);
            return;
        }
        if (k == null) {
            throw validator.reject(Entry.file(path, 0, 0, 0), "unknown entry kind " + kind);
        }
        Entry e = validator.accept(new Entry(k, path, mode, mtimeNs, size, target));
        entries++;
        tree.entry(e);
    }

    private void root(EntryKind k, int kind, int mode, long mtimeNs, long size, byte[] target) throws IOException {
        if (k == null || k == EntryKind.HARDLINK) {
            throw EntryRejectedException.of("exported root", output.toString(), k == null ? "unknown entry kind " + kind
                    : "a hardlink cannot be a root", "nothing was written", "export a file, directory or symlink");
        }
        if ((mode & ~07777) != 0 || (k != EntryKind.FILE && size != 0)) {
            throw EntryRejectedException.of("exported root", output.toString(), "malformed entry", "nothing was written",
                    "check the guest");
        }
        if (k == EntryKind.SYMLINK) {
            throw EntryRejectedException.of("exported root", output + "' -> '" + RawNames.display(target),
                    "the exported path is a symlink, and an output is never a symlink (a later sync push of it would "
                            + "follow it)", "nothing was written", "export the path it points to instead");
        }
        rootEntry = new Entry(k, new byte[0], mode & MODE_MASK, Math.max(0, mtimeNs), size, target);
        entries++;
        try {
            switch (k) {
                case DIRECTORY -> {
                    rootType = TransferResult.ArtifactType.DIRECTORY;
                    Files.createDirectory(temp, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                    tree = new TreeWriter(temp, MODE_MASK);
                }
                case FILE -> {
                    rootType = TransferResult.ArtifactType.FILE;
                    rootFile = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
                    rootFileLeft = size;
                }
                default -> throw new IllegalStateException();
            }
        } catch (AccessDeniedException e) {
            throw PyroException.invalidArgument("cannot create " + output + " (permission denied); choose another "
                    + "output path");
        }
    }

    @Override
    public void data(byte[] data, int offset, int length) throws IOException {
        if (rootFile != null) {
            if (length > rootFileLeft) {
                throw new IOException("more data than the exported file's size");
            }
            ByteBuffer b = ByteBuffer.wrap(data, offset, length);
            while (b.hasRemaining()) {
                rootFile.write(b);
            }
            rootFileLeft -= length;
        } else if (tree != null) {
            tree.data(data, offset, length);
        } else {
            throw new IOException("data without a file entry");
        }
        bytes += length;
        onBytes.accept(bytes);
    }

    /**
     * Finishes the tree (modes, times) and renames it to the output.
     *
     * @return what was exported
     * @throws PyroException the stream was incomplete, or the output appeared meanwhile
     */
    public TransferResult.ArtifactType commit() throws IOException {
        if (rootEntry == null) {
            throw new IOException("the export stream had no root entry");
        }
        if (rootFile != null) {
            if (rootFileLeft != 0) {
                throw new IOException("the exported file ended " + rootFileLeft + " bytes early");
            }
            rootFile.force(true);
            rootFile.close();
            rootFile = null;
            TreeWriter.setMode(temp, rootEntry.mode());
            TreeWriter.setTime(temp, rootEntry.mtimeNs(), false);
        } else if (tree != null) {
            tree.finish();
            TreeWriter.setMode(temp, rootEntry.mode());
            TreeWriter.setTime(temp, rootEntry.mtimeNs(), false);
        }
        try {
            placeWithoutReplacing(temp, output, rootType == TransferResult.ArtifactType.DIRECTORY);
        } catch (FileAlreadyExistsException e) {
            throw PyroException.invalidArgument("output path " + output + " appeared while the export ran; nothing "
                    + "was changed (choose a path that does not exist)");
        }
        committed = true;
        return rootType;
    }

    /**
     * Gives {@code temp} the name {@code output} unless something (anything: a file, an empty
     * directory, a dangling symlink) is there, atomically: checking first and renaming after
     * would let an output that appears in between be replaced, and rename(2) replaces files and
     * empty directories silently. Nothing at {@code output} is followed.
     *
     * <p>A file or symlink gets a second name with link(2), which fails on anything in the way,
     * and then loses the temporary one. A directory cannot be linked, so its name is claimed
     * with mkdir(2) (which fails likewise) and the tree is renamed onto that empty directory of
     * ours; a failure removes the claim again.
     *
     * @throws FileAlreadyExistsException something is at {@code output}; nothing was changed
     */
    static void placeWithoutReplacing(Path temp, Path output, boolean directory) throws IOException {
        if (directory) {
            Files.createDirectory(output, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            try {
                Files.move(temp, output, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException e) {
                try {
                    Files.deleteIfExists(output); // our empty claim (a directory with content is never removed)
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            return;
        }
        try {
            Files.createLink(output, temp);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
            // A file system without hard links: the check-then-rename of Files.move, which
            // refuses what exists but not what appears in the microseconds between.
            Files.move(temp, output);
            return;
        }
        Files.delete(temp);
    }

    /** Entries written, the root included. */
    public long entries() {
        return entries;
    }

    /** File bytes written. */
    public long bytes() {
        return bytes;
    }

    /** The output path. */
    public Path output() {
        return output;
    }

    /** Deletes the temporary tree unless committed. Never throws. */
    @Override
    public void close() {
        if (tree != null) {
            tree.close();
        }
        if (rootFile != null) {
            try {
                rootFile.close();
            } catch (IOException e) {
                // being deleted
            }
        }
        if (!committed) {
            Trees.deleteQuietly(temp);
        }
    }
}
