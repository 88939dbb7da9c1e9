package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * The entries of a tar archive (plain or gzip-compressed), read with commons-compress: ustar,
 * GNU (long names and links) and PAX (long and UTF-8 names, high-resolution times). Names
 * are normalized to the wire form ({@code ./a/} is {@code a}) and kept as raw bytes; the
 * archive's root directory ({@code ./}) is skipped. Hardlinks become hardlink entries (their
 * target must be an earlier file, which the validator checks). Character and block devices,
 * fifos and any other entry type are rejected, naming the entry. A malformed or truncated
 * archive is an error naming the archive.
 */
public final class TarSource implements EntrySource {
    private static final String LABEL = "archive entry";
    private static final String CONSEQUENCE = "nothing was imported";

    private final Path archive;
    private final long archiveSize;
    private final CountingInput counted;
    private final RawTarInputStream tar;
    private TarArchiveEntry current;

    private TarSource(Path archive, boolean gzip) throws IOException {
        this.archive = archive;
        this.archiveSize = Files.size(archive);
        this.counted = new CountingInput(Files.newInputStream(archive));
        InputStream in = new BufferedInputStream(counted, 64 * 1024);
        try {
            if (gzip) {
                in = GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(true).get();
            }
            this.tar = new RawTarInputStream(in);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /**
     * Opens {@code archive}, a tar file ({@code gzip} false) or a gzip-compressed one.
     *
     * @throws PyroException the file cannot be opened or is not gzip data
     */
    public static TarSource open(Path archive, boolean gzip) {
        try {
            return new TarSource(archive, gzip);
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.INVALID_ARGUMENT, "cannot read archive " + archive + ": "
                    + e.getMessage() + "; " + CONSEQUENCE, e);
        }
    }

    @Override
    public String label() {
        return LABEL;
    }

    @Override
    public Entry next() {
        while (true) {
            TarArchiveEntry e;
            Map<String, byte[]> pax;
            try {
                e = tar.getNextEntry();
                if (e == null) {
                    current = null;
                    return null;
                }
                if (!e.isCheckSumOK()) {
                    throw new IOException("the header of entry '" + RawNames.display(latin1(e.getName()))
                            + "' has a wrong checksum");
                }
                if (tar.paxHeaderCount() > 1) {
                    throw new IOException("two PAX headers for one entry");
                }
                if (tar.globalRenames()) {
                    throw new IOException("a global PAX header renames every entry (path or linkpath), which is "
                            + "not supported");
                }
                pax = tar.localPaxRecords();
            } catch (RawTarInputStream.HeaderLimitException ex) {
                throw overLimit(ex);
            } catch (IOException | RuntimeException ex) {
                throw malformed(ex);
            }
            current = e;
            byte[] rawName = pax.containsKey("path") ? pax.get("path")
                    : tar.gnuLongName() != null ? tar.gnuLongName() : latin1(e.getName());
            byte[] name = ImportPolicy.normalizeArchiveName(rawName);
            long mtime = nanos(e.getLastModifiedTime());
            int mode = e.getMode() & 07777;
            byte flag = e.getLinkFlag();
            boolean slash = rawName.length > 0 && rawName[rawName.length - 1] == '/';
            switch (flag) {
                case TarArchiveEntry.LF_DIR -> {
                    if (name.length == 0) {
                        continue; // "./": the destination itself
                    }
                    return Entry.directory(name, mode, mtime);
                }
                case TarArchiveEntry.LF_NORMAL, TarArchiveEntry.LF_OLDNORM, TarArchiveEntry.LF_CONTIG,
                        TarArchiveEntry.LF_GNUTYPE_SPARSE -> {
                    if (slash && e.getSize() == 0) {
                        if (name.length == 0) {
                            continue;
                        }
                        return Entry.directory(name, mode, mtime); // old tars mark directories by a '/'
                    }
                    long size = e.isSparse() ? e.getRealSize() : e.getSize();
                    return Entry.file(name, mode, mtime, size);
                }
                case TarArchiveEntry.LF_SYMLINK -> {
                    return Entry.symlink(name, linkTarget(e, pax), mtime);
                }
                case TarArchiveEntry.LF_LINK -> {
                    return Entry.hardlink(name, ImportPolicy.normalizeArchiveName(linkTarget(e, pax)));
                }
                case TarArchiveEntry.LF_CHR -> throw rejected(name, "character device entries cannot be imported");
                case TarArchiveEntry.LF_BLK -> throw rejected(name, "block device entries cannot be imported");
                case TarArchiveEntry.LF_FIFO -> throw rejected(name, "FIFO entries cannot be imported");
                default -> throw rejected(name, "unsupported entry type '" + typeName(flag) + "' (only files, "
                        + "directories, symlinks and hardlinks)");
            }
        }
    }

    private byte[] linkTarget(TarArchiveEntry e, Map<String, byte[]> pax) {
        return pax.containsKey("linkpath") ? pax.get("linkpath")
                : tar.gnuLongLink() != null ? tar.gnuLongLink() : latin1(e.getLinkName());
    }

    private EntryRejectedException rejected(byte[] name, String rule) {
        return EntryRejectedException.of(LABEL, RawNames.display(name), rule, CONSEQUENCE, "remove that entry");
    }

    private static String typeName(byte flag) {
        return flag >= 0x21 && flag < 0x7F ? String.valueOf((char) flag) : String.format("\\x%02x", flag & 0xFF);
    }

    @Override
    public InputStream content() {
        if (current == null) {
            throw new IllegalStateException("no file entry is current");
        }
        // The tar stream returns the current entry's data, then end of stream.
        return new FilterInputStream(tar) {
            @Override
            public void close() {
                // the archive stays open for the next entry
            }
        };
    }

    @Override
    public PyroException contentFailed(Entry entry, long got, IOException cause) {
        if (cause == null) {
            return new PyroException(PyroException.Kind.INVALID_ARGUMENT, "archive " + archive + " is truncated: entry '"
                    + entry.displayPath() + "' has " + got + " of its " + entry.size() + " bytes; " + CONSEQUENCE
                    + " (use a complete archive)");
        }
        return malformed(cause);
    }

    /** The error for an archive whose headers are over the reader's fixed limits. */
    private PyroException overLimit(RawTarInputStream.HeaderLimitException e) {
        return new PyroException(PyroException.Kind.INVALID_ARGUMENT, "cannot read archive " + archive + ": "
                + e.getMessage() + " (a fixed limit of pyro's tar reader); " + CONSEQUENCE
                + " (no tool writes such headers for ordinary files: recreate the archive with GNU tar)", e);
    }

    /** The error for an archive that cannot be read: one line naming it and what is wrong. */
    private PyroException malformed(Exception e) {
        String detail = e instanceof EOFException || String.valueOf(e.getMessage()).toLowerCase().contains("truncated")
                || String.valueOf(e.getMessage()).contains("end of")
                ? "it is truncated" : "it is corrupt or not a tar archive (" + oneLine(e) + ")";
        return new PyroException(PyroException.Kind.INVALID_ARGUMENT, "cannot read archive " + archive + ": " + detail
                + "; " + CONSEQUENCE + " (use a complete, valid .tar, .tar.gz or .tgz)", e);
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("\\s+", " ").strip();
    }

    @Override
    public long progressDone() {
        return counted.count;
    }

    @Override
    public long progressTotal() {
        return archiveSize;
    }

    @Override
    public void close() {
        try {
            tar.close();
        } catch (IOException e) {
            // reading is over
        }
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static long nanos(FileTime t) {
        if (t == null) {
            return 0;
        }
        return DirectorySource.nanos(t);
    }

    /** Counts the archive bytes read, for progress. */
    private static final class CountingInput extends FilterInputStream {
        long count;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += Math.max(0, skipped);
            return skipped;
        }
    }
}
