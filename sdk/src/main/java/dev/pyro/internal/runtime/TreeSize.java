package dev.pyro.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

/**
 * The space a directory tree needs in an ext4 file system with 4 KiB blocks: data blocks of
 * regular files (hard links counted once), a block per directory and per long symlink, and
 * the number of inodes.
 *
 * @param dataBytes bytes in whole blocks that the tree's content occupies
 * @param inodes files, directories, links and special files
 * @param contentBytes the sum of regular file sizes (for the manifest)
 */
record TreeSize(long dataBytes, long inodes, long contentBytes) {
    static final long BLOCK = 4096;
    /** ext4 keeps symlink targets shorter than this inside the inode. */
    private static final int FAST_SYMLINK_MAX = 59;

    static TreeSize measure(Path root) {
        long[] data = {0};
        long[] inodes = {0};
        long[] content = {0};
        Set<Object> seen = new HashSet<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    inodes[0]++;
                    data[0] += BLOCK;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (attrs.fileKey() != null && !seen.add(attrs.fileKey())) {
                        return FileVisitResult.CONTINUE;
                    }
                    inodes[0]++;
                    if (attrs.isRegularFile()) {
                        data[0] += blocks(attrs.size());
                        content[0] += attrs.size();
                    } else if (attrs.isSymbolicLink() && Files.readSymbolicLink(file).toString().length() > FAST_SYMLINK_MAX) {
                        data[0] += BLOCK;
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + root, e);
        }
        return new TreeSize(data[0], inodes[0], content[0]);
    }

    /** Inodes to reserve: the tree's plus a quarter and some spare, so mke2fs never runs out. */
    long inodesToReserve() {
        return inodes + inodes / 4 + 1024;
    }

    /**
     * The image size: content, inode tables, 10% for metadata (extent trees, directory
     * growth, group descriptors and bitmaps) and 16 MiB, rounded up to whole MiB.
     */
    long imageBytes() {
        long bytes = dataBytes + inodesToReserve() * 256;
        bytes += bytes / 10 + (16L << 20);
        long mib = 1L << 20;
        return (bytes + mib - 1) / mib * mib;
    }

    private static long blocks(long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }
}
