package dev.pyro.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Builds tar archives in tests with commons-compress, including ones no well-behaved tool
 * writes (absolute names, devices, duplicates). Names are ISO-8859-1 strings standing for raw
 * bytes (each char one byte) in the ustar/GNU headers.
 */
public final class TarBuilder {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream tar;
    private final Instant time = Instant.parse("2023-11-14T22:13:20.123456789Z");

    /** @param longNames {@link TarArchiveOutputStream#LONGFILE_GNU} or {@code LONGFILE_POSIX} */
    public TarBuilder(int longNames) {
        tar = new TarArchiveOutputStream(bytes, StandardCharsets.ISO_8859_1.name());
        tar.setLongFileMode(longNames);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    public TarBuilder() {
        this(TarArchiveOutputStream.LONGFILE_GNU);
    }

    private TarArchiveEntry entry(String name, byte flag) {
        TarArchiveEntry e = new TarArchiveEntry(name, flag, true); // keep absolute names as given
        e.setLastModifiedTime(FileTime.from(time));
        return e;
    }

    public TarBuilder dir(String name, int mode) throws IOException {
        TarArchiveEntry e = entry(name.endsWith("/") ? name : name + "/", TarArchiveEntry.LF_DIR);
        e.setMode(040000 | mode);
        return put(e, null);
    }

    public TarBuilder file(String name, int mode, byte[] data) throws IOException {
        TarArchiveEntry e = entry(name, TarArchiveEntry.LF_NORMAL);
        e.setMode(0100000 | mode);
        e.setSize(data.length);
        return put(e, data);
    }

    public TarBuilder file(String name, String text) throws IOException {
        return file(name, 0644, text.getBytes(StandardCharsets.UTF_8));
    }

    public TarBuilder symlink(String name, String target) throws IOException {
        TarArchiveEntry e = entry(name, TarArchiveEntry.LF_SYMLINK);
        e.setLinkName(target);
        e.setMode(0120777);
        return put(e, null);
    }

    public TarBuilder hardlink(String name, String target) throws IOException {
        TarArchiveEntry e = entry(name, TarArchiveEntry.LF_LINK);
        e.setLinkName(target);
        return put(e, null);
    }

    /** A device or fifo entry ({@code LF_CHR}, {@code LF_BLK}, {@code LF_FIFO}). */
    public TarBuilder special(String name, byte flag) throws IOException {
        TarArchiveEntry e = entry(name, flag);
        e.setMode(0666);
        e.setDevMajor(1);
        e.setDevMinor(3);
        return put(e, null);
    }

    public TarBuilder put(TarArchiveEntry e, byte[] data) throws IOException {
        tar.putArchiveEntry(e);
        if (data != null) {
            tar.write(data);
        }
        tar.closeArchiveEntry();
        return this;
    }

    /** The archive's bytes (finishes it). */
    public byte[] tar() throws IOException {
        tar.finish();
        tar.close();
        return bytes.toByteArray();
    }

    public Path writeTar(Path file) throws IOException {
        Files.write(file, tar());
        return file;
    }

    public Path writeTgz(Path file) throws IOException {
        byte[] t = tar();
        try (OutputStream out = new GzipCompressorOutputStream(Files.newOutputStream(file))) {
            out.write(t);
        }
        return file;
    }
}
