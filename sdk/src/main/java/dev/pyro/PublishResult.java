package dev.pyro;

import java.util.List;

/**
 * What {@link Pyro#publishEnvironment} did.
 *
 * @param environment the environment published
 * @param reference where it went ({@code registry/repository:tag})
 * @param digest the manifest digest (pull it pinned with {@code ENV@digest})
 * @param layers the config and the layers
 * @param uploadedBytes bytes sent
 * @param reusedBytes bytes of blobs the registry already had
 * @param durationMs wall time, compression included
 */
public record PublishResult(String environment, String reference, String digest, List<Layer> layers,
        long uploadedBytes, long reusedBytes, long durationMs) {

    /**
     * One blob.
     *
     * @param title the file it installs ({@code bzImage}, {@code vmlinux}, {@code rootfs.ext4},
     *     {@code manifest.json}) or {@code config}
     * @param mediaType its media type (docs/oci-artifact.md)
     * @param digest its digest
     * @param sizeBytes its size in the registry
     * @param reused whether the registry had it already
     */
    public record Layer(String title, String mediaType, String digest, long sizeBytes, boolean reused) {
    }
}
