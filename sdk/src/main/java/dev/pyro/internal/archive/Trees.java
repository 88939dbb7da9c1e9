package dev.pyro.internal.archive;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Deleting trees that pyro made, without following symlinks. */
final class Trees {
    private Trees() {
    }

    /**
     * Deletes {@code root} and everything below it; symlinks are deleted, not followed.
     * Directories are made writable first (an import may have set 0500). Best effort.
     */
    static void deleteQuietly(Path root) {
        try {
            delete(root);
        } catch (IOException e) {
            // best effort
        }
    }

    /**
     * Deletes everything it can and then throws the first failure, if any: one unreadable
     * directory does not leave the rest of the tree behind.
     */
    static void delete(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        IOException[] first = {null};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                try {
                    TreeWriter.setMode(dir, 0700);
                } catch (IOException e) {
                    remember(e);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                remember(exc);
                delete(file); // e.g. a directory that could not be opened: empty ones still go
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) {
                if (exc != null) {
                    remember(exc);
                }
                delete(dir);
                return FileVisitResult.CONTINUE;
            }

            private void delete(Path p) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    remember(e);
                }
            }

            private void remember(IOException e) {
                if (first[0] == null) {
                    first[0] = e;
                }
            }
        });
        if (first[0] != null) {
            throw first[0];
        }
    }
}
