package dev.pyro.testsupport;

import dev.pyro.internal.archive.ImportCaps;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * A corpus of hostile and malformed archives, generated in the test's own directory. Each
 * names the entry the rejection must name and a phrase of the rule; {@code outside} is a
 * directory next to the destination that absolute names and escapes aim at, so a bug would
 * write there (the tests check it stays as it was).
 */
public final class HostileArchives {
    /**
     * @param name short id
     * @param archive the file
     * @param caps the caps to import with
     * @param entry what the message must name (the entry, or the archive for malformed ones)
     * @param rule a phrase of the rule
     * @param hostOnly true when only the host can find it (the archive itself is bad: the guest
     *     never sees a stream)
     */
    public record Case(String name, Path archive, ImportCaps caps, String entry, String rule, boolean hostOnly) {
        @Override
        public String toString() {
            return name;
        }
    }

    private HostileArchives() {
    }

    public static final ImportCaps BIG = new ImportCaps(1000, 1 << 30);

    /** Builds every case in {@code dir}; {@code outside} is an absolute directory outside the destination. */
    public static List<Case> build(Path dir, Path outside) throws IOException {
        Files.createDirectories(dir);
        String abs = outside.toAbsolutePath() + "/evil-absolute";
        List<Case> cases = new ArrayList<>();
        cases.add(tar(dir, "absolute-name", new TarBuilder().file("ok.txt", "ok").file(abs, "pwned"), abs, "absolute"));
        cases.add(tar(dir, "dotdot", new TarBuilder().file("ok.txt", "ok").file("../evil", "pwned"), "../evil",
                "'..' escapes the destination"));
        cases.add(tar(dir, "nested-dotdot", new TarBuilder().dir("a", 0755).file("a/../../evil", "pwned"),
                "a/../../evil", "'..' escapes the destination"));
        cases.add(tar(dir, "symlink-absolute", new TarBuilder().symlink("l", "/etc").file("l/passwd", "pwned"),
                "l' -> '/etc", "absolute path"));
        cases.add(tar(dir, "symlink-dotdot", new TarBuilder().dir("a", 0755).symlink("a/l", "../../evil"),
                "a/l' -> '../../evil", "leads outside the destination"));
        cases.add(tar(dir, "symlink-to-outside-dir", new TarBuilder().symlink("l", outside.toAbsolutePath().toString()),
                "l' -> '" + outside.toAbsolutePath(), "absolute path"));
        cases.add(tar(dir, "hardlink-outside", new TarBuilder().hardlink("h", "../evil"), "h' -> '../evil",
                "hardlink target: '..' escapes"));
        cases.add(tar(dir, "hardlink-absolute", new TarBuilder().hardlink("h", "/etc/passwd"), "h' -> '/etc/passwd",
                "hardlink target: absolute"));
        cases.add(tar(dir, "hardlink-to-symlink", new TarBuilder().symlink("s", "x").hardlink("h", "s"), "h' -> 's",
                "earlier file"));
        cases.add(tar(dir, "write-through-own-symlink", new TarBuilder().symlink("l", ".").file("l/x", "pwned"), "l/x",
                "a parent in this archive is not a directory"));
        cases.add(tar(dir, "write-through-symlink-up", new TarBuilder().dir("d", 0755).symlink("d/l", "..")
                .file("d/l/x", "pwned"), "d/l/x", "a parent in this archive is not a directory"));
        cases.add(tar(dir, "fifo", new TarBuilder().file("ok.txt", "ok").special("pipe", TarArchiveEntry.LF_FIFO),
                "pipe", "FIFO"));
        cases.add(tar(dir, "char-device", new TarBuilder().special("null", TarArchiveEntry.LF_CHR), "null",
                "character device"));
        cases.add(tar(dir, "block-device", new TarBuilder().special("sda", TarArchiveEntry.LF_BLK), "sda",
                "block device"));
        TarBuilder many = new TarBuilder();
        for (int i = 0; i < 11; i++) {
            many.file("f" + i, "x");
        }
        cases.add(new Case("too-many-entries", many.writeTar(dir.resolve("too-many-entries.tar")),
                new ImportCaps(10, 1 << 20), "f10", "more than 10 entries", false));
        cases.add(new Case("too-many-bytes", new TarBuilder().file("small", 0644, new byte[600])
                .file("big", 0644, new byte[600]).writeTar(dir.resolve("too-many-bytes.tar")),
                new ImportCaps(100, 1000), "big", "more than 1000 bytes", false));
        cases.add(tar(dir, "duplicate", new TarBuilder().file("a", "one").file("a", "two"), "a", "duplicate path"));
        cases.add(tar(dir, "dir-over-file", new TarBuilder().file("a", "one").dir("a", 0755), "a", "duplicate path"));
        String longAbs = abs + "/" + "x".repeat(120);
        cases.add(tar(dir, "gnu-long-absolute", new TarBuilder(TarArchiveOutputStream.LONGFILE_GNU)
                .file(longAbs, "pwned"), longAbs, "absolute"));
        cases.add(tar(dir, "pax-long-absolute", new TarBuilder(TarArchiveOutputStream.LONGFILE_POSIX)
                .file(longAbs, "pwned"), longAbs, "absolute"));
        cases.add(tar(dir, "pax-long-dotdot", new TarBuilder(TarArchiveOutputStream.LONGFILE_POSIX)
                .file("../" + "y".repeat(120), "pwned"), "../" + "y".repeat(120), "'..' escapes"));

        // Malformed archives: found by the host before any entry reaches the guest.
        byte[] good = new TarBuilder().file("a.txt", 0644, new byte[100_000]).file("b.txt", "b").tar();
        Path truncatedGz = dir.resolve("truncated.tar.gz");
        byte[] gz = gzip(good);
        Files.write(truncatedGz, Arrays.copyOf(gz, gz.length / 2));
        cases.add(new Case("truncated-tar-gz", truncatedGz, BIG, truncatedGz.toString(), "truncated", true));
        Path truncatedTar = dir.resolve("truncated.tar");
        Files.write(truncatedTar, Arrays.copyOf(good, 512 + 50_000));
        cases.add(new Case("truncated-tar", truncatedTar, BIG, truncatedTar.toString(), "truncated", true));
        Path zip = dir.resolve("zip-renamed.tar");
        Files.write(zip, zip());
        cases.add(new Case("zip-renamed-tar", zip, BIG, zip.toString(), "unsupported archive type (zip)", true));
        Path corrupt = dir.resolve("corrupt-header.tar");
        byte[] bad = good.clone();
        bad[headerOf(bad, "b.txt") + 3] ^= 0x55; // b.txt's header: its checksum no longer matches
        Files.write(corrupt, bad);
        cases.add(new Case("corrupt-header", corrupt, BIG, corrupt.toString(), "corrupt", true));
        return cases;
    }

    private static Case tar(Path dir, String name, TarBuilder builder, String entry, String rule) throws IOException {
        return new Case(name, builder.writeTar(dir.resolve(name + ".tar")), BIG, entry, rule, false);
    }

    /** The offset of the ustar header block named {@code name}. */
    static int headerOf(byte[] tar, String name) {
        byte[] n = (name + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int off = 0; off + 512 <= tar.length; off += 512) {
            if (Arrays.equals(tar, off, off + n.length, n, 0, n.length) && tar[off + 257] == 'u') {
                return off;
            }
        }
        throw new IllegalStateException("no header " + name);
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GzipCompressorOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    static byte[] zip() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("../evil"));
            z.write("pwned".getBytes());
            z.closeEntry();
        }
        return out.toByteArray();
    }
}
