package dev.pyro.internal.oci;

import java.util.regex.Pattern;

/** OCI content digests. pyro only produces and accepts {@code sha256:<64 hex>}. */
public final class Digests {
    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

    private Digests() {
    }

    /** True for {@code sha256:} followed by 64 lower-case hex digits. */
    public static boolean isSha256(String digest) {
        return digest != null && SHA256.matcher(digest).matches();
    }

    /** {@code sha256:<hex>}. */
    public static String sha256(String hex) {
        return "sha256:" + hex;
    }

    /** The hex part of a {@code sha256:} digest. */
    public static String hex(String digest) {
        if (!isSha256(digest)) {
            throw new IllegalArgumentException("not a sha256 digest: " + digest);
        }
        return digest.substring("sha256:".length());
    }

    /** The first 12 hex digits, for messages. */
    public static String shortForm(String digest) {
        return isSha256(digest) ? "sha256:" + hex(digest).substring(0, 12) : String.valueOf(digest);
    }
}
