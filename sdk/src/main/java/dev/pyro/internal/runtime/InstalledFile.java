package dev.pyro.internal.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An installed artifact file as recorded at install time: its SHA-256 (for the full check)
 * and its size and modification time (for the cheap check every boot can afford).
 *
 * @param name file name inside the component's directory
 * @param sha256 SHA-256 of the content
 * @param size size in bytes
 * @param mtimeMillis last-modified time in milliseconds since the epoch
 */
public record InstalledFile(String name, String sha256, long size, long mtimeMillis) {
    /** Records a file as it is now, hashing it. */
    static InstalledFile record(Path dir, String name) {
        Path file = dir.resolve(name);
        try {
            return new InstalledFile(name, Hashes.sha256(file), Files.size(file),
                    Files.getLastModifiedTime(file).toMillis());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot stat " + file, e);
        }
    }

    /** Records a file whose SHA-256 is already known (computed while it was written). */
    static InstalledFile withHash(Path dir, String name, String sha256) {
        Path file = dir.resolve(name);
        try {
            return new InstalledFile(name, sha256, Files.size(file), Files.getLastModifiedTime(file).toMillis());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot stat " + file, e);
        }
    }

    /** Why the file no longer matches the record by size and mtime, or empty when it does. */
    Optional<String> cheapProblem(Path dir) {
        Path file = dir.resolve(name);
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(file + " is missing");
            }
            long actualSize = Files.size(file);
            if (actualSize != size) {
                return Optional.of(file + " has size " + actualSize + ", expected " + size);
            }
            if (Files.getLastModifiedTime(file).toMillis() != mtimeMillis) {
                return Optional.of(file + " was modified after it was installed");
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot stat " + file + ": " + e.getMessage());
        }
    }

    /** Like {@link #cheapProblem} and then also compares the full SHA-256. */
    Optional<String> fullProblem(Path dir) {
        return fullProblem(dir, bytes -> { });
    }

    /** {@link #fullProblem(Path)}, reporting the bytes hashed so far. */
    Optional<String> fullProblem(Path dir, java.util.function.LongConsumer bytesHashed) {
        Optional<String> cheap = cheapProblem(dir);
        if (cheap.isPresent()) {
            return cheap;
        }
        String actual = Hashes.sha256(dir.resolve(name), bytesHashed);
        return actual.equals(sha256)
                ? Optional.empty()
                : Optional.of(dir.resolve(name) + " has sha256 " + actual + ", expected " + sha256);
    }
}
