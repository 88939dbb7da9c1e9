package dev.pyro.internal.archive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * commons-compress's tar reader, keeping the raw bytes of names. Header names and GNU long
 * names are decoded as ISO-8859-1, which maps every byte to one char and back; PAX
 * {@code path} and {@code linkpath} records are decoded by commons-compress as UTF-8 (lossy
 * for the non-UTF-8 names {@code hdrcharset=BINARY} allows), so this class captures the PAX
 * header bytes as they are read and takes those two records from them verbatim.
 */
final class RawTarInputStream extends TarArchiveInputStream {
    private final ByteArrayOutputStream localPax = new ByteArrayOutputStream();
    private final ByteArrayOutputStream globalPax = new ByteArrayOutputStream();
    private TarArchiveEntry lastPaxHeader;
    private int paxHeaders;
    private byte[] gnuLongName;
    private byte[] gnuLongLink;
    private int nesting;

    RawTarInputStream(InputStream in) {
        super(in, StandardCharsets.ISO_8859_1.name());
    }

    @Override
    public TarArchiveEntry getNextEntry() throws IOException {
        // commons-compress calls this recursively for the entry after a PAX or GNU long-name
        // header; the outermost call starts a new entry.
        if (nesting == 0) {
            localPax.reset();
            paxHeaders = 0;
            lastPaxHeader = null;
            gnuLongName = null;
            gnuLongLink = null;
        }
        nesting++;
        try {
            return super.getNextEntry();
        } finally {
            nesting--;
        }
    }

    @Override
    public int read(byte[] buf, int offset, int length) throws IOException {
        int n = super.read(buf, offset, length);
        TarArchiveEntry current = getCurrentEntry();
        if (n > 0 && current != null) {
            if (current.isPaxHeader()) {
                if (current != lastPaxHeader) {
                    lastPaxHeader = current;
                    paxHeaders++;
                }
                localPax.write(buf, offset, n);
            } else if (current.isGlobalPaxHeader()) {
                globalPax.write(buf, offset, n);
            }
        }
        return n;
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
        return parse(localPax.toByteArray());
    }

    /** The global PAX records seen so far (they apply to every later entry). */
    Map<String, byte[]> globalPaxRecords() throws IOException {
        return parse(globalPax.toByteArray());
    }

    /** PAX extended header records: "LEN KEY=VALUE\n"; later records win, an empty value unsets. */
    static Map<String, byte[]> parse(byte[] data) throws IOException {
        Map<String, byte[]> records = new HashMap<>();
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
            if (value.length == 0) {
                records.remove(key);
            } else {
                records.put(key, value);
            }
            pos = (int) (pos + len);
        }
        return records;
    }
}
