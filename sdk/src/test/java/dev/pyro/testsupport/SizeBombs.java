package dev.pyro.testsupport;

import dev.pyro.internal.archive.ImportCaps;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;

/**
 * Archives that are legal in shape and enormous in cost (issue: "size bombs"), written as
 * streams straight into a gzip file: none of them is ever held whole, in memory or on disk
 * (the largest file written is the 16 GiB gzip bomb's ~16 MB). Each case says whether pyro must
 * reject it (naming what, with which rule) or accept it, and with which caps.
 */
public final class SizeBombs {
    /**
     * @param name short id
     * @param archive the .tar.gz
     * @param caps the caps to import with
     * @param rejected true if it must be refused; false if it must be imported
     * @param phrase a phrase the refusal names (the limit), or null when accepted
     * @param hostOnly true when only the host reader can find it (the stream never reaches a
     *     guest: the archive's headers are refused)
     * @param early true when its first headers decide (then within 2 s); false when the decision
     *     needs many entries (the entry cap, or the work of importing them)
     */
    public record Bomb(String name, Path archive, ImportCaps caps, boolean rejected, String phrase, boolean hostOnly,
            boolean early) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Instant TIME = Instant.parse("2023-11-14T22:13:20Z");
    private static final int BLOCK = 512;

    private SizeBombs() {
    }

    /** Every bomb, written in {@code dir}. */
    public static List<Bomb> build(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Bomb> bombs = new ArrayList<>();
        bombs.add(new Bomb("implied-directory-bomb", impliedDirectories(dir.resolve("implied-dirs.tar.gz")),
                ImportCaps.defaults(), true, "more than 256 path components", false, true));
        bombs.add(new Bomb("pax-record-400mb", paxRecord(dir.resolve("pax-400mb.tar.gz"), 400_000_000),
                ImportCaps.defaults(), true, "more than the 65536 bytes allowed for the headers of one entry", true,
                true));
        bombs.add(new Bomb("gnu-long-name-400mb", gnuLongName(dir.resolve("gnu-400mb.tar.gz"), 400_000_000),
                ImportCaps.defaults(), true, "more than the 65536 bytes allowed for the headers of one entry", true,
                true));
        bombs.add(new Bomb("global-headers-20000", globalHeaders(dir.resolve("globals.tar.gz"), 20_000),
                ImportCaps.defaults(), false, null, false, false));
        bombs.add(new Bomb("global-header-chain", globalHeaderChain(dir.resolve("global-chain.tar.gz"), 20_000),
                ImportCaps.defaults(), true, "take more than 65536 bytes", true, true));
        bombs.add(new Bomb("tiny-entries-1m", tinyEntries(dir.resolve("tiny-1m.tar.gz"), 1_000_000),
                ImportCaps.defaults(), true, "more than 200000 entries", false, false));
        bombs.add(new Bomb("gzip-zeros-16gib", zeros(dir.resolve("zeros-16g.tar.gz"), 16L << 30),
                ImportCaps.defaults(), true, "more than 10737418240 bytes of file data", false, true));
        return bombs;
    }

    /**
     * 42 files whose 4,000-byte paths are 2,000 one-byte components each ({@code a/a/.../f}), each
     * in its own top directory: 84,000 implied directories from a few KB of gzip.
     */
    public static Path impliedDirectories(Path file) throws IOException {
        try (TarStream t = new TarStream(file)) {
            for (int i = 0; i < 42; i++) {
                StringBuilder name = new StringBuilder("d" + i);
                while (name.length() < 3990) {
                    name.append("/a");
                }
                t.paxFile(name + "/f", 0644, 0);
            }
        }
        return file;
    }

    /** One PAX header holding a single {@code path} record of about {@code size} bytes, then a file. */
    public static Path paxRecord(Path file, long size) throws IOException {
        try (TarStream t = new TarStream(file)) {
            String prefix = " path=";
            long len = recordLength(prefix.length() + size + 1);
            t.header("./PaxHeaders/x", TarConstants.LF_PAX_EXTENDED_HEADER_LC, 0644, len);
            t.write((len + prefix).getBytes(StandardCharsets.US_ASCII));
            t.repeat((byte) 'a', size);
            t.write(new byte[] {'\n'});
            t.pad(len);
            t.header("x", TarConstants.LF_NORMAL, 0644, 0);
        }
        return file;
    }

    /** A GNU long-name record ({@code ././@LongLink}, type L) of {@code size} bytes, then a file. */
    public static Path gnuLongName(Path file, long size) throws IOException {
        try (TarStream t = new TarStream(file)) {
            t.header(TarConstants.GNU_LONGLINK, TarConstants.LF_GNUTYPE_LONGNAME, 0644, size);
            t.repeat((byte) 'a', size);
            t.pad(size);
            t.header("x", TarConstants.LF_NORMAL, 0644, 0);
        }
        return file;
    }

    /**
     * {@code n} global PAX headers, each in front of a small file, as tools that append archives
     * write them: every later entry is under all of them. A legitimate archive: it is imported.
     */
    public static Path globalHeaders(Path file, int n) throws IOException {
        try (TarStream t = new TarStream(file)) {
            for (int i = 0; i < n; i++) {
                t.pax("./PaxHeaders/global", TarConstants.LF_PAX_GLOBAL_EXTENDED_HEADER,
                        record("comment", "%040x".formatted(i)) + record("mtime", "1700000000." + i));
                t.file("f" + i, 0644, ("x" + i).getBytes(StandardCharsets.US_ASCII));
            }
        }
        return file;
    }

    /** The same {@code n} small files as {@link #globalHeaders}, without the global headers: the baseline. */
    public static Path plainFiles(Path file, int n) throws IOException {
        try (TarStream t = new TarStream(file)) {
            for (int i = 0; i < n; i++) {
                t.file("f" + i, 0644, ("x" + i).getBytes(StandardCharsets.US_ASCII));
            }
        }
        return file;
    }

    /** {@code n} global PAX headers in a row, then one file: a chain no tool writes. */
    public static Path globalHeaderChain(Path file, int n) throws IOException {
        try (TarStream t = new TarStream(file)) {
            for (int i = 0; i < n; i++) {
                t.pax("./PaxHeaders/global", TarConstants.LF_PAX_GLOBAL_EXTENDED_HEADER, record("comment", "c" + i));
            }
            t.file("f", 0644, new byte[] {'x'});
        }
        return file;
    }

    /** {@code n} empty files. */
    public static Path tinyEntries(Path file, int n) throws IOException {
        try (TarStream t = new TarStream(file)) {
            for (int i = 0; i < n; i++) {
                t.header("f" + i, TarConstants.LF_NORMAL, 0644, 0);
            }
        }
        return file;
    }

    /**
     * One file of {@code size} zero bytes (its size in the header as a base-256 number), as a
     * .tar.gz of about size/1024 bytes: the deflate stream of 1 MiB of zeros is made once and
     * repeated (each piece ends with a full flush, so pieces are independent).
     */
    public static Path zeros(Path file, long size) throws IOException {
        CRC32 crc = new CRC32();
        byte[] header = new byte[BLOCK];
        TarArchiveEntry e = entry("zeros", TarConstants.LF_NORMAL, 0644, size);
        e.writeEntryHeader(header, ZipEncodingHelper.getZipEncoding("ISO-8859-1"), true);
        byte[] mib = new byte[1 << 20];
        byte[] tail = new byte[(int) ((BLOCK - size % BLOCK) % BLOCK) + 2 * BLOCK];
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}); // gzip header, deflate
            out.write(deflateFlushed(header));
            crc.update(header);
            byte[] piece = deflateFlushed(mib);
            long left = size;
            for (; left >= mib.length; left -= mib.length) {
                out.write(piece);
                crc.update(mib);
            }
            byte[] rest = new byte[(int) left];
            out.write(deflateFlushed(rest));
            crc.update(rest);
            out.write(deflateFlushed(tail));
            crc.update(tail);
            Deflater end = new Deflater(Deflater.BEST_COMPRESSION, true);
            end.finish();
            byte[] buf = new byte[64];
            int n = end.deflate(buf);
            end.end();
            out.write(buf, 0, n);
            long total = BLOCK + size + tail.length;
            writeIntLe(out, (int) crc.getValue());
            writeIntLe(out, (int) total);
        }
        return file;
    }

    /**
     * A .tar.gz whose single file declares {@code size} bytes and carries only the first 256 MiB
     * of them (zeros): whoever refuses it by its declared size never reaches the truncation,
     * and a guest that refuses it does so while the host still streams its data.
     */
    public static Path declaredOnly(Path file, long size) throws IOException {
        try (TarStream t = new TarStream(file)) {
            t.header("huge", TarConstants.LF_NORMAL, 0644, size);
            t.repeat((byte) 0, 256L << 20);
        }
        return file;
    }

    private static byte[] deflateFlushed(byte[] data) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        d.setInput(data);
        byte[] buf = new byte[Math.max(1024, data.length / 512 + 1024)];
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int n;
        while ((n = d.deflate(buf, 0, buf.length, Deflater.FULL_FLUSH)) > 0) {
            out.write(buf, 0, n);
            if (n < buf.length && d.needsInput()) {
                break;
            }
        }
        d.end();
        return out.toByteArray();
    }

    private static void writeIntLe(OutputStream out, int v) throws IOException {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    /** A PAX record "LEN key=value\n" (LEN counts the whole record, itself included). */
    static String record(String key, String value) {
        return recordLength(key.length() + value.length() + 3) + " " + key + "=" + value + "\n"; // ' ', '=', '\n'
    }

    /** The length of a PAX record whose text after the length field is {@code body} bytes. */
    static long recordLength(long body) {
        int digits = Long.toString(body).length();
        while (Long.toString(body + digits).length() != digits) {
            digits++;
        }
        return body + digits;
    }

    static TarArchiveEntry entry(String name, byte flag, int mode, long size) {
        TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
        e.setMode((flag == TarConstants.LF_DIR ? 040000 : 0100000) | mode);
        e.setSize(size);
        e.setLastModifiedTime(FileTime.from(TIME));
        return e;
    }

    /** A tar stream written block by block through gzip (fast level: the inputs are huge). */
    static final class TarStream implements AutoCloseable {
        private final OutputStream out;
        private final byte[] block = new byte[BLOCK];

        TarStream(Path file) throws IOException {
            OutputStream raw = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            this.out = new BufferedOutputStream(new GZIPOutputStream(raw, 1 << 16) {
                {
                    def.setLevel(Deflater.BEST_SPEED);
                }
            }, 1 << 16);
        }

        void header(String name, byte flag, int mode, long size) throws IOException {
            Arrays.fill(block, (byte) 0);
            entry(name, flag, mode, size).writeEntryHeader(block, ZipEncodingHelper.getZipEncoding("ISO-8859-1"),
                    true);
            out.write(block);
        }

        void file(String name, int mode, byte[] data) throws IOException {
            header(name, TarConstants.LF_NORMAL, mode, data.length);
            out.write(data);
            pad(data.length);
        }

        /** A PAX header (local 'x' or global 'g') with these records. */
        void pax(String name, byte flag, String records) throws IOException {
            byte[] data = records.getBytes(StandardCharsets.UTF_8);
            header(name, flag, 0644, data.length);
            out.write(data);
            pad(data.length);
        }

        /** A file whose long name travels in a PAX {@code path} record. */
        void paxFile(String name, int mode, long size) throws IOException {
            pax("./PaxHeaders/f", TarConstants.LF_PAX_EXTENDED_HEADER_LC, record("path", name));
            header("f", TarConstants.LF_NORMAL, mode, size);
        }

        void write(byte[] b) throws IOException {
            out.write(b);
        }

        void repeat(byte value, long count) throws IOException {
            byte[] chunk = new byte[1 << 16];
            Arrays.fill(chunk, value);
            for (long left = count; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }

        void pad(long size) throws IOException {
            int rest = (int) (size % BLOCK);
            if (rest != 0) {
                out.write(new byte[BLOCK - rest]);
            }
        }

        @Override
        public void close() throws IOException {
            out.write(new byte[2 * BLOCK]);
            out.close();
        }
    }
}
