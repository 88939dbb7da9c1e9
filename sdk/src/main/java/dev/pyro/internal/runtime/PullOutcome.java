package dev.pyro.internal.runtime;

import java.time.Duration;

/**
 * What a pull did.
 *
 * @param environment the environment installed
 * @param reference what was pulled ({@code registry/repository:tag} or {@code ...@digest})
 * @param digest the manifest digest
 * @param totalBytes bytes of the layers (compressed)
 * @param downloadedBytes bytes received by this pull (resumed and already present bytes not counted)
 * @param upToDate true when that exact manifest was installed and intact already (nothing downloaded)
 * @param elapsed wall time of the pull
 * @param downloadTime time spent receiving layers (for throughput)
 * @param installed the environment as installed
 */
public record PullOutcome(String environment, String reference, String digest, long totalBytes, long downloadedBytes,
        boolean upToDate, Duration elapsed, Duration downloadTime, InstalledEnvironment installed) {
}
