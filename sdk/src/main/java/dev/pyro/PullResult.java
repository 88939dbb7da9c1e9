package dev.pyro;

/**
 * What {@link Pyro#pullEnvironment} did.
 *
 * @param environment the environment as installed now
 * @param reference what was pulled ({@code registry/repository:tag} or with {@code @sha256:...})
 * @param digest the manifest digest
 * @param totalBytes bytes of its layers as stored in the registry
 * @param downloadedBytes bytes received now (a resumed download counts only the rest)
 * @param upToDate true when that exact manifest was installed and intact already
 * @param durationMs wall time of the pull
 * @param downloadMs time spent receiving layers
 */
public record PullResult(EnvironmentInfo environment, String reference, String digest, long totalBytes,
        long downloadedBytes, boolean upToDate, long durationMs, long downloadMs) {
}
