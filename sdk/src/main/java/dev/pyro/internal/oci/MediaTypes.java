package dev.pyro.internal.oci;

import java.util.List;

/**
 * Media types pyro speaks. The pyro-specific ones are documented in docs/oci-artifact.md; a
 * layer type may carry a {@code +zstd} or {@code +gzip} suffix naming its compression.
 */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

    /** The {@code artifactType} of a pyro environment manifest. */
    public static final String PYRO_ENVIRONMENT = "application/vnd.pyro.environment.v1";
    /** The config blob: the environment's description (name, packages, kernel, file hashes). */
    public static final String PYRO_CONFIG = "application/vnd.pyro.environment.config.v1+json";
    /** The build manifest of the image, exactly as the builder wrote it (manifest.json). */
    public static final String PYRO_BUILD_MANIFEST = "application/vnd.pyro.environment.manifest.v1+json";
    /** The kernel QEMU boots (already compressed, so stored as is). */
    public static final String PYRO_BZIMAGE = "application/vnd.pyro.kernel.bzimage.v1";
    /** The uncompressed ELF kernel (what Firecracker loads). */
    public static final String PYRO_VMLINUX = "application/vnd.pyro.kernel.vmlinux.v1";
    /** The read-only ext4 root image. */
    public static final String PYRO_ROOTFS = "application/vnd.pyro.rootfs.ext4.v1";

    /** Every manifest type pyro can read, most preferred first (sent as Accept). */
    public static final List<String> ACCEPTED_MANIFESTS = List.of(OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST,
            DOCKER_MANIFEST_LIST);

    /** Compression of a layer, from its media type's suffix. */
    public enum Compression {
        NONE(""), ZSTD("+zstd"), GZIP("+gzip");

        private final String suffix;

        Compression(String suffix) {
            this.suffix = suffix;
        }

        public String suffix() {
            return suffix;
        }
    }

    private MediaTypes() {
    }

    /** The media type without a compression suffix. */
    public static String base(String mediaType) {
        for (Compression c : Compression.values()) {
            if (!c.suffix().isEmpty() && mediaType.endsWith(c.suffix())) {
                return mediaType.substring(0, mediaType.length() - c.suffix().length());
            }
        }
        return mediaType;
    }

    /** The compression a media type's suffix names. */
    public static Compression compression(String mediaType) {
        for (Compression c : Compression.values()) {
            if (!c.suffix().isEmpty() && mediaType.endsWith(c.suffix())) {
                return c;
            }
        }
        return Compression.NONE;
    }

    public static boolean isIndex(String mediaType) {
        return OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
    }

    public static boolean isManifest(String mediaType) {
        return OCI_MANIFEST.equals(mediaType) || DOCKER_MANIFEST.equals(mediaType);
    }
}
