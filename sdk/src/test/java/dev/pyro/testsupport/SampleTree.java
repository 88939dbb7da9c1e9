package dev.pyro.testsupport;

import dev.pyro.internal.archive.RawNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A deterministic directory tree for round trips: {@code files} regular files spread over
 * nested directories (with exec bits and assorted modes), empty directories, symlinks (to
 * files and directories, one dangling, all inside the tree), a hardlink, Unicode and
 * non-UTF-8 names, a 0-byte file and a 5 MB file; times set to fixed values with nanoseconds.
 */
public final class SampleTree {
    private SampleTree() {
    }

    /** What was made. */
    public record Stats(int files, int dirs, int symlinks, long bytes) {
    }

    public static Stats create(Path root, int files, long seed) throws IOException {
        Random r = new Random(seed);
        Files.createDirectories(root);
        List<Path> dirs = new ArrayList<>();
        dirs.add(root);
        Files.createDirectories(root.resolve("src-0"));
        dirs.add(root.resolve("src-0"));
        String[] names = {"src", "lib", "docs", "café", "日本語", "deep", "tests", "bin"};
        for (int i = 0; i < 40; i++) {
            Path parent = dirs.get(r.nextInt(dirs.size()));
            if (root.relativize(parent).getNameCount() >= 5) {
                parent = root;
            }
            Path d = parent.resolve(names[r.nextInt(names.length)] + "-" + i);
            Files.createDirectories(d);
            dirs.add(d);
        }
        // A non-UTF-8 directory name (bytes 0xff 0xfe and a Latin-1 é).
        Path weirdDir = root.resolve(RawNames.component(new byte[] {'w', (byte) 0xff, (byte) 0xfe, '-', (byte) 0xe9}));
        Files.createDirectory(weirdDir);
        dirs.add(weirdDir);
        int made = 0;
        long bytes = 0;
        int[] modes = {0644, 0644, 0644, 0755, 0600, 0640, 0700, 0444};
        while (made < files - 2) {
            Path dir = dirs.get(r.nextInt(dirs.size()));
            String name = switch (made % 7) {
                case 0 -> "file-" + made + ".txt";
                case 1 -> "naïve-" + made + ".md";
                case 2 -> "emoji-\uD83D\uDE00-" + made;
                case 3 -> "spaces and 'quotes' " + made;
                default -> "f" + made + ".bin";
            };
            Path f = dir.resolve(name);
            if (made % 97 == 5) {
                byte[] raw = ("raw-" + made + "-x").getBytes(StandardCharsets.UTF_8);
                raw[raw.length - 1] = (byte) 0xfa; // not UTF-8
                f = dir.resolve(RawNames.component(raw));
            }
            byte[] data = new byte[r.nextInt(12_000)];
            r.nextBytes(data);
            Files.write(f, data);
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perm(modes[r.nextInt(modes.length)])));
            Files.setLastModifiedTime(f, FileTime.from(java.time.Instant.ofEpochSecond(1_600_000_000L + made,
                    made * 1000L + 7)));
            bytes += data.length;
            made++;
        }
        Path empty = root.resolve("zero-bytes");
        Files.write(empty, new byte[0]);
        Path big = root.resolve("big-5mb.bin");
        byte[] data = new byte[5 * 1024 * 1024];
        r.nextBytes(data);
        Files.write(big, data);
        bytes += data.length;
        made += 2;
        // Empty directories, one with an unusual mode.
        Files.createDirectories(root.resolve("empty-1"));
        Files.createDirectories(root.resolve("src-0/empty-nested"));
        Files.createDirectories(root.resolve("empty-ro"));
        Files.setPosixFilePermissions(root.resolve("empty-ro"), PosixFilePermissions.fromString("r-xr-xr-x"));
        // Symlinks, all resolving inside the tree (leading '..' only, fewer than the link's depth).
        Files.createDirectories(root.resolve("links/inner"));
        Files.createSymbolicLink(root.resolve("links/to-big"), Path.of("../big-5mb.bin"));
        Files.createSymbolicLink(root.resolve("links/inner/to-links"), Path.of(".."));
        Files.createSymbolicLink(root.resolve("links/to-dir"), Path.of("../src-0"));
        Files.createSymbolicLink(root.resolve("links/dangling"), Path.of("no-such-file"));
        Files.createSymbolicLink(root.resolve("links/same-dir"), Path.of("to-big"));
        Files.createSymbolicLink(root.resolve("link-\u00e9t\u00e9"), Path.of("zero-bytes"));
        // A hardlink pair.
        Files.write(root.resolve("links/hard-a"), "shared\n".getBytes(StandardCharsets.UTF_8));
        Files.createLink(root.resolve("links/hard-b"), root.resolve("links/hard-a"));
        bytes += 7;
        made++;
        // Directory times last (creating entries changes them).
        long t = 1_650_000_000L;
        for (Path d : dirs) {
            if (!d.equals(root)) {
                Files.setLastModifiedTime(d, FileTime.from(java.time.Instant.ofEpochSecond(t++, 123_456_789)));
            }
        }
        Files.setLastModifiedTime(root.resolve("links/inner"), FileTime.from(java.time.Instant.ofEpochSecond(t++)));
        Files.setLastModifiedTime(root.resolve("links"), FileTime.from(java.time.Instant.ofEpochSecond(t++)));
        Files.setLastModifiedTime(root.resolve("empty-1"), FileTime.from(java.time.Instant.ofEpochSecond(t++)));
        Files.setLastModifiedTime(root.resolve("src-0"), FileTime.from(java.time.Instant.ofEpochSecond(t++)));
        return new Stats(made, dirs.size() + 5, 6, bytes);
    }

    private static String perm(int mode) {
        StringBuilder s = new StringBuilder();
        for (int i = 8; i >= 0; i--) {
            s.append((mode & (1 << i)) == 0 ? '-' : "rwx".charAt((8 - i) % 3));
        }
        return s.toString();
    }
}
