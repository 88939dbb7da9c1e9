package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import dev.pyro.TransferResult;
import dev.pyro.WorkspaceSeed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A host source for a seed or sync, recognized by {@link #inspect}: a directory, a tar archive
 * or a gzip-compressed tar archive. The type is decided by the content (gzip magic, a tar
 * header with a valid checksum), not the name, so a {@code .tgz} that is really a plain tar
 * works and a zip renamed {@code .tar} is refused as what it is.
 *
 * @param path the source as given (absolute)
 * @param kind what it is
 */
public record SourceSpec(Path path, Kind kind) {
    /** Source types. */
    public enum Kind {
        DIRECTORY, TAR, TAR_GZ
    }

    private static final String USE = "use a directory, .tar, .tar.gz or .tgz";

    /** The entries of the source. */
    public EntrySource open() {
        return switch (kind) {
            case DIRECTORY -> DirectorySource.contentsOf(path, "seed directory entry");
            case TAR -> TarSource.open(path, false);
            case TAR_GZ -> TarSource.open(path, true);
        };
    }

    public WorkspaceSeed.Mode seedMode() {
        return kind == Kind.DIRECTORY ? WorkspaceSeed.Mode.DIRECTORY : WorkspaceSeed.Mode.TAR_ARCHIVE;
    }

    public TransferResult.ArtifactType artifactType() {
        return kind == Kind.DIRECTORY ? TransferResult.ArtifactType.DIRECTORY : TransferResult.ArtifactType.TAR_ARCHIVE;
    }

    /**
     * Checks a source before anything starts: it exists, is readable, and is a directory or a
     * tar archive (plain or gzip).
     *
     * @param noun what to call it in messages, e.g. "seed path", "sync source"
     * @throws PyroException {@code NOT_FOUND} if it does not exist; {@code INVALID_ARGUMENT} if it
     *     cannot be read or is of another type
     */
    public static SourceSpec inspect(Path source, String noun) {
        Path path = source.toAbsolutePath().normalize();
        if (!Files.exists(path)) {
            String why = Files.exists(path, LinkOption.NOFOLLOW_LINKS) ? " is a broken symlink" : " does not exist";
            throw new PyroException(PyroException.Kind.NOT_FOUND, noun + " " + path + why + "; " + USE
                    + " that exists");
        }
        if (Files.isDirectory(path)) {
            if (!Files.isReadable(path) || !Files.isExecutable(path)) {
                throw PyroException.invalidArgument("cannot read " + noun + " " + path
                        + ": permission denied; make it readable or use another directory");
            }
            return new SourceSpec(path, Kind.DIRECTORY);
        }
        if (!Files.isRegularFile(path)) {
            throw PyroException.invalidArgument(noun + " " + path + " is neither a directory nor a regular file; " + USE);
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(512);
        } catch (AccessDeniedException e) {
            throw PyroException.invalidArgument("cannot read " + noun + " " + path
                    + ": permission denied; make it readable or use another file");
        } catch (NoSuchFileException e) {
            throw new PyroException(PyroException.Kind.NOT_FOUND, noun + " " + path + " does not exist; " + USE);
        } catch (IOException e) {
            throw PyroException.invalidArgument("cannot read " + noun + " " + path + ": " + e.getMessage() + "; " + USE);
        }
        if (head.length == 0) {
            throw PyroException.invalidArgument(noun + " " + path + " is an empty file, not a tar archive; " + USE);
        }
        if (head.length >= 2 && (head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B) {
            byte[] inner;
            try (InputStream in = GzipCompressorInputStream.builder().setInputStream(Files.newInputStream(path)).get()) {
                inner = in.readNBytes(512);
            } catch (IOException e) {
                throw PyroException.invalidArgument("cannot read " + noun + " " + path + ": it is corrupt gzip data ("
                        + e.getMessage() + "); " + USE);
            }
            if (!TarHeaders.looksLikeTar(inner)) {
                String what = TarHeaders.formatName(inner);
                throw PyroException.invalidArgument(noun + " " + path + " is gzip-compressed but holds "
                        + (what != null ? "a " + what : "no tar archive") + "; " + USE);
            }
            return new SourceSpec(path, Kind.TAR_GZ);
        }
        if (TarHeaders.looksLikeTar(head)) {
            return new SourceSpec(path, Kind.TAR);
        }
        String what = TarHeaders.formatName(head);
        if (what != null) {
            throw PyroException.invalidArgument("unsupported archive type (" + what + "): " + path + "; " + USE);
        }
        throw PyroException.invalidArgument(noun + " " + path + " is neither a directory nor a tar archive"
                + (head.length < 512 ? " (too short for a tar header)" : " (no valid tar header)") + "; " + USE);
    }

    @Override
    public String toString() {
        return kind + " " + path;
    }

    /** Tar header recognition and the magic numbers of formats we refuse by name. */
    static final class TarHeaders {
        private TarHeaders() {
        }

        /** A ustar/GNU/v7 header with a valid checksum, or an all-zero block (an empty archive). */
        static boolean looksLikeTar(byte[] block) {
            if (block.length < 512) {
                return false;
            }
            boolean zero = true;
            for (int i = 0; i < 512 && zero; i++) {
                zero = block[i] == 0;
            }
            if (zero) {
                return true;
            }
            long stored = 0;
            boolean digits = false;
            int i = 148;
            while (i < 156 && block[i] == ' ') {
                i++;
            }
            for (; i < 156 && block[i] >= '0' && block[i] <= '7'; i++) {
                stored = stored * 8 + (block[i] - '0');
                digits = true;
            }
            if (!digits) {
                return false;
            }
            long unsigned = 0;
            long signed = 0;
            for (int j = 0; j < 512; j++) {
                byte b = j >= 148 && j < 156 ? (byte) ' ' : block[j];
                unsigned += b & 0xFF;
                signed += b;
            }
            return stored == unsigned || stored == signed;
        }

        /** The name of a well-known non-tar format these bytes start with, or null. */
        static String formatName(byte[] b) {
            if (starts(b, 0x50, 0x4B, 0x03, 0x04) || starts(b, 0x50, 0x4B, 0x05, 0x06) || starts(b, 0x50, 0x4B, 0x07, 0x08)) {
                return "zip";
            }
            if (starts(b, 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00)) {
                return "xz";
            }
            if (starts(b, 0x42, 0x5A, 0x68)) {
                return "bzip2";
            }
            if (starts(b, 0x28, 0xB5, 0x2F, 0xFD)) {
                return "zstd";
            }
            if (starts(b, 0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C)) {
                return "7z";
            }
            if (starts(b, 0x52, 0x61, 0x72, 0x21, 0x1A, 0x07)) {
                return "rar";
            }
            if (starts(b, 0x04, 0x22, 0x4D, 0x18)) {
                return "lz4";
            }
            if (starts(b, 0x1F, 0x9D)) {
                return "compress (.Z)";
            }
            if (starts(b, 0x4C, 0x5A, 0x49, 0x50)) {
                return "lzip";
            }
            if (starts(b, 0x1F, 0x8B)) {
                return "gzip (twice compressed)";
            }
            return null;
        }

        private static boolean starts(byte[] b, int... magic) {
            if (b.length < magic.length) {
                return false;
            }
            byte[] m = new byte[magic.length];
            for (int i = 0; i < magic.length; i++) {
                m[i] = (byte) magic[i];
            }
            return Arrays.equals(b, 0, m.length, m, 0, m.length);
        }
    }
}
