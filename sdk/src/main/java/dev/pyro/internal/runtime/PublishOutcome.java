package dev.pyro.internal.runtime;

import java.time.Duration;
import java.util.List;

/**
 * What a publish did.
 *
 * @param environment the environment published
 * @param reference where it went ({@code registry/repository:tag})
 * @param digest the manifest digest (pin it with {@code ENV@digest})
 * @param layers the layers, config first
 * @param uploadedBytes bytes sent
 * @param reusedBytes bytes of blobs the registry already had
 * @param elapsed wall time
 */
public record PublishOutcome(String environment, String reference, String digest, List<Layer> layers,
        long uploadedBytes, long reusedBytes, Duration elapsed) {

    /**
     * One blob of the artifact.
     *
     * @param title the file it installs, or {@code config}
     * @param mediaType its media type
     * @param digest its digest
     * @param size bytes
     * @param reused whether the registry had it already
     */
    public record Layer(String title, String mediaType, String digest, long size, boolean reused) {
    }
}
