package dev.pyro.internal.archive;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.utils.IOUtils;

/**
 * commons-compress's tar reader, keeping the raw bytes of names and holding hostile archives
 * to fixed limits before they cost memory or time.
 *
 * <p>Names: header names and GNU long names are decoded as ISO-8859-1, which maps every byte to
 * one char and back; PAX {@code path} and {@code linkpath} records are decoded by
 * commons-compress as UTF-8 (lossy for the non-UTF-8 names {@code hdrcharset=BINARY} allows),
 * so this class captures the PAX header bytes as they are read and takes those two records from
 * them verbatim.
 *
 * <p>Limits (commons-compress 1.28 has none: it reads a PAX record or a GNU long name whole into
 * memory, however large its header says it is):
 * <ul>
 *   <li>the header records in front of one entry (PAX and global PAX records, GNU long names
 *       and links, old-GNU sparse extensions, a PAX 1.0 sparse map) take at most
 *       {@value #MAX_HEADER_BYTES} bytes of the archive in all. Every byte commons-compress reads
 *       between the end of one entry's data and the next entry passes a counter that fails at
 *       that budget, and a header record whose declared size alone is over it fails before any
 *       of it is read, so a 400 MB PAX record costs 64 KiB of reading, not 400 MB of heap. The
 *       budget also bounds a chain of headers (and commons-compress's recursion over it);
 *   <li>the global PAX records in effect at once take at most {@value #MAX_HEADER_BYTES}
 *       bytes. Each global header is parsed once, when it is read, into one map; commons-compress
 *       applies its own copy of that map to every later entry, so its size bounds the work per
 *       entry and archives with any number of global headers are read in linear time.
 * </ul>
 * A limit that trips is an {@link HeaderLimitException} naming the limit.
 */
final class RawTarInputStream extends TarArchiveInputStream {
    /** Header bytes allowed in front of one entry, and global PAX records in effect at once. */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    /** A header of the archive is over one of this reader's limits. */
    static final class HeaderLimitException extends IOException {
        private static final long serialVersionUID = 1L;

        HeaderLimitException(String message) {
            super(message);
        }
    }

    private final Budget budget;
    private final ByteArrayOutputStream localPax = new ByteArrayOutputStream();
    private final ByteArrayOutputStream globalPax = new ByteArrayOutputStream();
    private final Map<String, byte[]> globalRecords = new HashMap<>();
    private long globalSize;
    private TarArchiveEntry lastPaxHeader;
    private TarArchiveEntry lastGlobalHeader;
    private int paxHeaders;
    private byte[] gnuLongName;
    private byte[] gnuLongLink;
    private int nesting;
    private long entriesRead;

    RawTarInputStream(InputStream in) {
        this(new Budget(in));
    }

    private RawTarInputStream(Budget budget) {
        super(budget, StandardCharsets.ISO_8859_1.name());
        this.budget = budget;
    }

    @Override
    public TarArchiveEntry getNextEntry() throws IOException {
        // commons-compress calls this recursively for the entry after a PAX or GNU long-name
        // header; the outermost call starts a new entry.
        boolean outer = nesting == 0;
        if (outer) {
            if (getCurrentEntry() != null) {
                // The rest of the current entry's data is not header: skip it before counting.
                IOUtils.skip(this, Long.MAX_VALUE);
            }
            localPax.reset();
            paxHeaders = 0;
            lastPaxHeader = null;
            gnuLongName = null;
            gnuLongLink = null;
            budget.start(MAX_HEADER_BYTES, entriesRead + 1);
        }
        nesting++;
        try {
            TarArchiveEntry e = super.getNextEntry();
            if (outer) {
                mergeGlobal();
                if (e != null) {
                    entriesRead++;
                }
            }
            return e;
        } finally {
            nesting--;
            if (outer) {
                budget.stop();
            }
        }
    }

    @Override
    public int read(byte[] buf, int offset, int length) throws IOException {
        TarArchiveEntry current = getCurrentEntry();
        if (current != null && nesting > 0 && isHeaderRecord(current) && current.getSize() > MAX_HEADER_BYTES) {
            // Refused by its declared size, before commons-compress reads (and buffers) any of it.
            throw new HeaderLimitException(budget.describe() + " has a " + kind(current) + " of " + current.getSize()
                    + " bytes, more than the " + MAX_HEADER_BYTES + " bytes allowed for the headers of one entry");
        }
        int n = super.read(buf, offset, length);
        if (n > 0 && current != null) {
            if (current.isPaxHeader()) {
                if (current != lastPaxHeader) {
                    lastPaxHeader = current;
                    paxHeaders++;
                }
                localPax.write(buf, offset, n);
            } else if (current.isGlobalPaxHeader()) {
                if (current != lastGlobalHeader) {
                    mergeGlobal(); // the previous global header (several may follow each other)
                    lastGlobalHeader = current;
                }
                globalPax.write(buf, offset, n);
            }
        }
        return n;
    }

    private static boolean isHeaderRecord(TarArchiveEntry e) {
        return e.isPaxHeader() || e.isGlobalPaxHeader() || e.isGNULongNameEntry() || e.isGNULongLinkEntry();
    }

    private static String kind(TarArchiveEntry e) {
        return e.isGlobalPaxHeader() ? "global PAX header" : e.isPaxHeader() ? "PAX header"
                : e.isGNULongLinkEntry() ? "GNU long link name" : "GNU long name";
    }

    /**
     * GNU long names and links: commons-compress strips a leading '/' from a long name (it
     * would hide an absolute name from the rules), so the raw bytes are kept here.
     */
    @Override
    protected byte[] getLongNameData() throws IOException {
        TarArchiveEntry header = getCurrentEntry();
        boolean link = header != null && header.isGNULongLinkEntry();
        byte[] data = super.getLongNameData();
        if (data != null) {
            if (link) {
                gnuLongLink = data.clone();
            } else {
                gnuLongName = data.clone();
            }
        }
        return data;
    }

    /** Parses the global header read last (once) into the records in effect, within the limit. */
    private void mergeGlobal() throws IOException {
        if (globalPax.size() == 0) {
            return;
        }
        byte[] data = globalPax.toByteArray();
        globalPax.reset();
        parse(data, (key, value) -> {
            byte[] old = value == null ? globalRecords.remove(key) : globalRecords.put(key, value);
            if (old != null) {
                globalSize -= key.length() + old.length;
            }
            if (value != null) {
                globalSize += key.length() + value.length;
            }
        });
        if (globalSize > MAX_HEADER_BYTES) {
            throw new HeaderLimitException("the global PAX records in effect at " + budget.describe() + " take "
                    + globalSize + " bytes, more than the " + MAX_HEADER_BYTES + " bytes allowed");
        }
    }

    /** The current entry's GNU long name ('L' record), raw, or null. */
    byte[] gnuLongName() {
        return gnuLongName;
    }

    /** The current entry's GNU long link target ('K' record), raw, or null. */
    byte[] gnuLongLink() {
        return gnuLongLink;
    }

    /** PAX headers in front of the current entry (more than one is malformed). */
    int paxHeaderCount() {
        return paxHeaders;
    }

    /** The current entry's PAX records, raw values. */
    Map<String, byte[]> localPaxRecords() throws IOException {
        if (localPax.size() == 0) {
            return Map.of();
        }
        Map<String, byte[]> records = new HashMap<>();
        parse(localPax.toByteArray(), (key, value) -> {
            if (value == null) {
                records.remove(key);
            } else {
                records.put(key, value);
            }
        });
        return records;
    }

    /** True when the global PAX records in effect rename entries ({@code path} or {@code linkpath}). */
    boolean globalRenames() {
        return globalRecords.containsKey("path") || globalRecords.containsKey("linkpath");
    }

    /**
     * PAX extended header records ("LEN KEY=VALUE\n"), in order, to {@code record}; an empty
     * value (which unsets the key) is passed as null.
     */
    static void parse(byte[] data, java.util.function.BiConsumer<String, byte[]> record) throws IOException {
        int pos = 0;
        while (pos < data.length) {
            if (data[pos] == 0) {
                break; // padding
            }
            int space = pos;
            long len = 0;
            while (space < data.length && data[space] >= '0' && data[space] <= '9') {
                len = len * 10 + (data[space] - '0');
                if (len > data.length) {
                    throw new IOException("bad PAX record length");
                }
                space++;
            }
            if (space >= data.length || data[space] != ' ' || len <= space - pos || pos + len > data.length
                    || data[(int) (pos + len - 1)] != '\n') {
                throw new IOException("malformed PAX record");
            }
            int end = (int) (pos + len - 1);
            int eq = space + 1;
            while (eq < end && data[eq] != '=') {
                eq++;
            }
            if (eq >= end) {
                throw new IOException("PAX record without '='");
            }
            String key = new String(data, space + 1, eq - space - 1, StandardCharsets.UTF_8);
            byte[] value = new byte[end - eq - 1];
            System.arraycopy(data, eq + 1, value, 0, value.length);
            record.accept(key, value.length == 0 ? null : value);
            pos = (int) (pos + len);
        }
    }

    /** Counts what commons-compress reads while it reads headers, and stops it at the budget. */
    private static final class Budget extends FilterInputStream {
        private long left = -1;
        private long entry;

        Budget(InputStream in) {
            super(in);
        }

        void start(long bytes, long entryNumber) {
            left = bytes;
            entry = entryNumber;
        }

        void stop() {
            left = -1;
        }

        String describe() {
            return "the header of entry " + entry;
        }

        private void charge(long n) throws IOException {
            if (left >= 0 && n > 0) {
                left -= n;
                if (left < 0) {
                    throw new HeaderLimitException("the header records in front of entry " + entry + " (PAX records, "
                            + "GNU long names, sparse maps) take more than " + MAX_HEADER_BYTES + " bytes");
                }
            }
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                charge(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            charge(n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            charge(s);
            return s;
        }
    }
}
