package dev.pyro.internal.archive;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Linux file names are byte strings; Java's {@link Path} shows them as text decoded with
 * {@code sun.jnu.encoding}, which loses bytes that are not valid in it (shown as U+FFFD).
 * {@code UnixPath} does keep the raw bytes, and its {@code file:} URI form percent-encodes
 * them exactly, so these helpers go through the URI whenever the text form might be lossy:
 * names that are not valid UTF-8 survive a round trip from the host to the guest and back.
 */
public final class RawNames {
    private static final boolean JNU_UTF8 = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", ""));
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** Longest rendering of a name in a message. */
    static final int DISPLAY_MAX = 200;

    private RawNames() {
    }

    /** The raw bytes of a one-component path (a file name as listed by the OS). */
    public static byte[] bytes(Path name) {
        String s = name.toString();
        if (textIsExact(s)) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        String raw = name.toUri().getRawPath();
        if (raw.endsWith("/")) {
            raw = raw.substring(0, raw.length() - 1);
        }
        return percentDecode(raw.substring(raw.lastIndexOf('/') + 1));
    }

    /** The raw bytes of a symlink's content as {@link java.nio.file.Files#readSymbolicLink} returned it. */
    public static byte[] linkBytes(Path target) {
        String s = target.toString();
        if (textIsExact(s)) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        boolean absolute = target.isAbsolute();
        // Rooted at "/" so the URI does not depend on the working directory.
        String raw = (absolute ? target : Path.of("/").resolve(target)).toUri().getRawPath();
        if (raw.endsWith("/") && raw.length() > 1 && !s.endsWith("/")) {
            raw = raw.substring(0, raw.length() - 1); // toUri adds a '/' when the path is a directory
        }
        byte[] bytes = percentDecode(raw);
        if (absolute) {
            return bytes;
        }
        byte[] rel = new byte[bytes.length - 1];
        System.arraycopy(bytes, 1, rel, 0, rel.length);
        return rel;
    }

    /** A one-component relative path with exactly these bytes (no '/' and no NUL in them). */
    public static Path component(byte[] name) {
        if (name.length == 0) {
            throw new IllegalArgumentException("empty name");
        }
        for (byte b : name) {
            if (b == '/' || b == 0) {
                throw new IllegalArgumentException("'/' or NUL in a name component");
            }
        }
        String text = exactText(name);
        if (text != null) {
            return Path.of(text);
        }
        return Path.of(URI.create("file:///" + percentEncode(name))).getFileName();
    }

    /**
     * {@code base} resolved with a relative {@code /}-separated byte path (empty components
     * skipped). Linear in the path's length: the path is resolved in one step (as text when
     * that is exact, else through one {@code file:} URI), never component by component, which
     * would copy every prefix again.
     */
    public static Path resolve(Path base, byte[] relPath) {
        for (byte b : relPath) {
            if (b == 0) {
                throw new IllegalArgumentException("NUL in a path");
            }
        }
        String text = exactText(relPath);
        if (text != null) {
            return text.isEmpty() ? base : base.resolve(text); // UnixPath drops empty components
        }
        String baseRaw = base.toAbsolutePath().toUri().getRawPath();
        StringBuilder uri = new StringBuilder(baseRaw.length() + relPath.length * 3 + 8).append("file://")
                .append(baseRaw);
        int start = 0;
        for (int i = 0; i <= relPath.length; i++) {
            if (i == relPath.length || relPath[i] == '/') {
                if (i > start) {
                    if (uri.charAt(uri.length() - 1) != '/') {
                        uri.append('/');
                    }
                    uri.append(percentEncode(java.util.Arrays.copyOfRange(relPath, start, i)));
                }
                start = i + 1;
            }
        }
        return Path.of(URI.create(uri.toString()));
    }

    /**
     * A path to give {@link java.nio.file.Files#createSymbolicLink} as the link's content.
     * Repeated and trailing slashes are not kept (Java normalizes them; they do not change
     * where a link leads).
     */
    public static Path linkTarget(byte[] target) {
        String text = exactText(target);
        if (text != null) {
            return Path.of(text);
        }
        boolean absolute = target.length > 0 && target[0] == '/';
        Path p = absolute ? Path.of("/") : null;
        int start = 0;
        for (int i = 0; i <= target.length; i++) {
            if (i == target.length || target[i] == '/') {
                if (i > start) {
                    byte[] comp = new byte[i - start];
                    System.arraycopy(target, start, comp, 0, comp.length);
                    Path c = component(comp);
                    p = p == null ? c : p.resolve(c);
                }
                start = i + 1;
            }
        }
        if (p == null) {
            throw new IllegalArgumentException("empty symlink target");
        }
        return p;
    }

    /**
     * A name for messages: UTF-8 text, with bytes that are not valid UTF-8, control characters
     * and {@code \} as {@code \xHH}; cut at {@value #DISPLAY_MAX} characters with "...".
     */
    public static String display(byte[] bytes) {
        StringBuilder s = new StringBuilder(Math.min(bytes.length, DISPLAY_MAX) + 8);
        int i = 0;
        while (i < bytes.length) {
            if (s.length() >= DISPLAY_MAX) {
                return s.append("...").toString();
            }
            int b = bytes[i] & 0xFF;
            int len = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
            String cp = len > 1 && i + len <= bytes.length ? strictUtf8(bytes, i, len) : null;
            if (len == 1 && b >= 0x20 && b < 0x7F && b != '\\') {
                s.append((char) b);
                i++;
            } else if (cp != null && !Character.isISOControl(cp.codePointAt(0))) {
                s.append(cp);
                i += len;
            } else {
                s.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xF]);
                i++;
            }
        }
        return s.toString();
    }

    /** The text whose UTF-8 form is exactly these bytes and that Path keeps as is, or null. */
    private static String exactText(byte[] bytes) {
        boolean ascii = true;
        for (byte b : bytes) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        if (!JNU_UTF8) {
            return null;
        }
        return strictUtf8(bytes, 0, bytes.length);
    }

    private static String strictUtf8(byte[] bytes, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, offset, length))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** True when the OS's text form of a name is certainly its bytes in UTF-8. */
    private static boolean textIsExact(String s) {
        boolean ascii = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\uFFFD') {
                return false;
            }
            if (c >= 0x80 || c == '?') {
                ascii = false;
            }
        }
        return ascii || JNU_UTF8;
    }

    static String percentEncode(byte[] bytes) {
        StringBuilder s = new StringBuilder(bytes.length * 3);
        for (byte value : bytes) {
            int b = value & 0xFF;
            if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '.'
                    || b == '_' || b == '~') {
                s.append((char) b);
            } else {
                s.append('%').append(HEX[b >> 4]).append(HEX[b & 0xF]);
            }
        }
        return s.toString();
    }

    static byte[] percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toByteArray();
    }
}
