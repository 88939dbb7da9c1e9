package dev.pyro.internal.runtime;

import java.util.Map;

/**
 * The record of a capability check in runtime.lock.json.
 *
 * @param proven whether the check passed against {@code artifacts}; set false by any lock
 *     update that changes one of them
 * @param provenAt ISO-8601 time of the check
 * @param environment the environment whose image the check used
 * @param artifacts component id ({@code kernel}, {@code agent}, {@code rootfs:<env>}) to the
 *     SHA-256 of the artifact that was running (bzImage, agent binary, image)
 */
public record CapabilityProof(boolean proven, String provenAt, String environment, Map<String, String> artifacts) {
    public CapabilityProof {
        artifacts = artifacts == null ? Map.of() : Map.copyOf(artifacts);
    }

    CapabilityProof withdrawn() {
        return new CapabilityProof(false, provenAt, environment, artifacts);
    }
}
