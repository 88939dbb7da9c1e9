package dev.pyro.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A full listing of a directory tree for before/after comparisons: for every path (raw bytes
 * shown as hex when not ASCII) its type, permission bits (setuid etc. included), size, sha256
 * of a file's content or a symlink's target, and optionally its modification time. Symlinks
 * are listed, never followed.
 */
public final class TreeSnapshot {
    private TreeSnapshot() {
    }

    /** Everything below {@code root} (the root's own time excluded), with times. */
    public static Map<String, String> of(Path root) {
        return of(root, true, p -> false);
    }

    /**
     * @param times include modification times of files, links and directories
     * @param skip names (relative paths as listed) to leave out, with what is below them
     */
    public static Map<String, String> of(Path root, boolean times, Predicate<String> skip) {
        Map<String, String> out = new TreeMap<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    String rel = rel(root, dir);
                    if (!rel.isEmpty() && skip.test(rel)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    out.put(rel.isEmpty() ? "." : rel, describe(dir, times && !rel.isEmpty()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String rel = rel(root, file);
                    if (!skip.test(rel)) {
                        out.put(rel, describe(file, times));
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static String rel(Path root, Path p) {
        Path r = root.relativize(p);
        return r.toString().isEmpty() ? "" : String.join("/", names(r));
    }

    private static Iterable<String> names(Path r) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        for (Path name : r) {
            parts.add(show(dev.pyro.internal.archive.RawNames.bytes(name)));
        }
        return parts;
    }

    static String show(byte[] name) {
        for (byte b : name) {
            if (b < 0x20 || b > 0x7e) {
                return "hex:" + HexFormat.of().formatHex(name);
            }
        }
        return new String(name, StandardCharsets.US_ASCII);
    }

    static String describe(Path p, boolean times) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String type = a.isDirectory() ? "dir" : a.isRegularFile() ? "file" : a.isSymbolicLink() ? "link" : "other";
        StringBuilder s = new StringBuilder(type).append(' ').append(Integer.toOctalString(mode & 07777));
        if (a.isRegularFile()) {
            s.append(' ').append(a.size()).append(' ').append(sha256(p));
        } else if (a.isSymbolicLink()) {
            s.append(" -> ").append(show(dev.pyro.internal.archive.RawNames.linkBytes(Files.readSymbolicLink(p))));
        }
        if (times) {
            java.time.Instant t = a.lastModifiedTime().toInstant();
            // Java sets a symlink's time with lutimes (microseconds): compare links at that precision.
            s.append(" @").append(a.isSymbolicLink() ? t.truncatedTo(java.time.temporal.ChronoUnit.MICROS) : t);
        }
        return s.toString();
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
