package dev.pyro.mcp;

import dev.pyro.PyroException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;

/**
 * The secret an HTTP client must present ({@code Authorization: Bearer TOKEN}). Generated at
 * start into a file only the operator can read (mode 0600, under PYRO_HOME), or read from a
 * file the operator gives ({@code --token-file}). Any local process can reach a port on
 * 127.0.0.1 (and so can a web page, and a guest with allow_host); only the operator's own
 * processes can read the file.
 */
final class BearerToken implements AutoCloseable {
    /** Enough to be unguessable; short enough for a header. */
    private static final int RANDOM_BYTES = 32;
    static final int MIN_LENGTH = 16;
    private static final int MAX_FILE_BYTES = 4096;

    private final byte[] token;
    private final Path file;
    private final boolean generated;

    private BearerToken(String token, Path file, boolean generated) {
        this.token = token.getBytes(StandardCharsets.US_ASCII);
        this.file = file;
        this.generated = generated;
    }

    /**
     * A fresh random token, written to {@code dir/mcp-http-PORT.token} with mode 0600 (a stale
     * file of an earlier server on the same port is replaced).
     */
    static BearerToken generate(Path dir, int port) throws IOException {
        byte[] random = new byte[RANDOM_BYTES];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.createDirectories(dir);
        Path file = dir.resolve("mcp-http-" + port + ".token");
        Path temp = dir.resolve(".mcp-http-" + port + ".token." + Long.toHexString(new SecureRandom().nextLong()));
        // Created 0600 from the start (no window where it is readable), never through a link.
        try (var out = Files.newByteChannel(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            out.write(java.nio.ByteBuffer.wrap((token + "\n").getBytes(StandardCharsets.US_ASCII)));
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return new BearerToken(token, file, true);
    }

    /**
     * The token in {@code file} (its first line, trimmed), which must be readable by its owner
     * only.
     *
     * @throws PyroException INVALID_ARGUMENT naming the file and the fix
     */
    static BearerToken fromFile(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        String text;
        try {
            if (!Files.isRegularFile(abs)) {
                throw PyroException.invalidArgument("token file " + abs + " does not exist or is not a regular file;"
                        + " write a token of at least " + MIN_LENGTH + " characters to it (chmod 600)");
            }
            int mode = (Integer) Files.getAttribute(abs, "unix:mode");
            if ((mode & 077) != 0) {
                throw PyroException.invalidArgument("token file " + abs + " can be read by other users (mode "
                        + String.format(Locale.ROOT, "%o", mode & 0777) + "); restrict it with: chmod 600 " + abs);
            }
            if (Files.size(abs) > MAX_FILE_BYTES) {
                throw PyroException.invalidArgument("token file " + abs + " is larger than " + MAX_FILE_BYTES
                        + " bytes; it should hold one line, the token");
            }
            text = Files.readString(abs, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw PyroException.invalidArgument("cannot read token file " + abs + " (" + e.getMessage()
                    + "); check its permissions");
        }
        String token = text.lines().findFirst().orElse("").strip();
        if (token.length() < MIN_LENGTH || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw PyroException.invalidArgument("token file " + abs + " must hold a token of at least " + MIN_LENGTH
                    + " printable ASCII characters without spaces on its first line, e.g. from: openssl rand -hex 32");
        }
        return new BearerToken(token, abs, false);
    }

    /** The file the token is in. */
    Path file() {
        return file;
    }

    /**
     * Whether an {@code Authorization} header value carries this token. The comparison takes the
     * same time wherever the first difference is.
     */
    boolean accepts(String authorization) {
        if (authorization == null) {
            return false;
        }
        String v = authorization.strip();
        if (v.length() < 7 || !v.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = v.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token);
    }

    /** Deletes a generated token file (the operator's own file stays). Never throws. */
    @Override
    public void close() {
        if (generated) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // left behind: replaced by the next server on this port
            }
        }
    }
}
