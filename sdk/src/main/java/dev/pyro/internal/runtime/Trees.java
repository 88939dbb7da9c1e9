package dev.pyro.internal.runtime;

import dev.pyro.internal.host.Exec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/** Directory operations for staging and installing build outputs. */
final class Trees {
    private Trees() {
    }

    /**
     * Deletes a directory tree without ever leaving it: mounts below it (left by an interrupted
     * bootstrap, e.g. its /proc) are unmounted first, and the walk refuses to cross into another
     * file system, so a stale mount can never make us delete the host's files.
     */
    static void deleteRecursively(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        unmountBelow(root);
        try {
            Object rootDevice = Files.getAttribute(root, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    if (!rootDevice.equals(Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                        throw new IOException("refusing to delete across a mount point: " + dir);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                    if (failure != null) {
                        throw failure;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // Someone else removed it first; the goal is reached.
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    /** Deletes every entry of {@code dir} whose name starts with {@code prefix}. */
    static void deleteChildren(Path dir, String prefix) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var children = Files.list(dir)) {
            for (Path child : children.filter(c -> c.getFileName().toString().startsWith(prefix)).toList()) {
                deleteRecursively(child);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /**
     * Moves a fully written staging directory to its final name in one rename, replacing an
     * existing directory (a forced rebuild) by first moving that aside.
     */
    static void install(Path staging, Path target) {
        try {
            Files.createDirectories(target.getParent());
            Path aside = null;
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                aside = target.resolveSibling(".old-" + target.getFileName() + "-" + UUID.randomUUID());
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            if (aside != null) {
                deleteRecursively(aside);
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new IllegalStateException("staging " + staging + " is not on the same file system as " + target, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install " + target, e);
        }
    }

    /** A fresh, empty directory named {@code prefix-<random>} in {@code parent}. */
    static Path newStagingDir(Path parent, String prefix) {
        try {
            Files.createDirectories(parent);
            return Files.createDirectory(parent.resolve(prefix + UUID.randomUUID().toString().substring(0, 8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory in " + parent, e);
        }
    }

    /** Writes a file atomically: a temporary sibling, flushed, then renamed over the target. */
    static void writeAtomically(Path target, byte[] content) {
        try {
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
            try {
                try (var channel = java.nio.channels.FileChannel.open(tmp,
                        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                    channel.write(java.nio.ByteBuffer.wrap(content));
                    channel.force(true);
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    private static void unmountBelow(Path root) {
        String prefix = root.toAbsolutePath().normalize().toString();
        List<String> mounts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                // Field 5 is the mount point, with spaces and the like escaped as \\040.
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    String mountPoint = fields[4].replace("\\040", " ");
                    if (mountPoint.equals(prefix) || mountPoint.startsWith(prefix + "/")) {
                        mounts.add(mountPoint);
                    }
                }
            }
        } catch (IOException e) {
            return; // No /proc: nothing we could unmount anyway.
        }
        mounts.sort(Comparator.comparingInt(String::length).reversed());
        for (String mountPoint : mounts) {
            Exec.capture(List.of("umount", "--lazy", mountPoint));
        }
    }
}
